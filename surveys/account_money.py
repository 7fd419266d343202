"""ARR in the reporting currency (README, "Accounts and revenue"): revenue figures, key accounts,
routing on ARR and the accounts list's ARR order compare and add ARR in one currency, CURRENCY,
never numbers in different currencies. An account in another currency counts at the fixed rate
EXCHANGE_RATES gives for it (a budget rate an admin sets, not a market feed, so a figure does not
move unless the ARR or the rate does); without a rate it is left out of sums and comparisons,
and the pages say how many were.

`convert` (surveys.account_rules) is the rule for one account; `reporting_arr` the same in SQL.
"""

from django.conf import settings
from django.db.models import Case, F, FloatField, Q, Value, When
from django.db.models.functions import Cast

from surveys.account_rules import convert


def reporting_currency() -> str:
    return settings.KRINGLOOP["CURRENCY"]


def rates() -> dict[str, float]:
    """Currency → reporting-currency units per unit, the reporting currency itself included (1.0)."""
    return {**settings.KRINGLOOP["EXCHANGE_RATES"], reporting_currency(): 1.0}


def account_arr(account) -> float | None:
    """One account's ARR in the reporting currency (None: no ARR, or no rate for its currency)."""
    return convert(account.arr, account.currency, rates=rates())


def convertible() -> Q:
    """Accounts whose ARR can be had in the reporting currency."""
    return Q(arr__isnull=False, currency__in=sorted(rates()))


def reporting_arr(prefix: str = ""):
    """`convert` in SQL: the ARR × its currency's rate, NULL without one."""
    arr = Cast(F(f"{prefix}arr"), FloatField())
    return Case(
        *(
            When(**{f"{prefix}currency": code}, then=arr if rate == 1.0 else arr * Value(rate))
            for code, rate in sorted(rates().items())
        ),
        default=Value(None),
        output_field=FloatField(),
    )
