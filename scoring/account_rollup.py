"""The accounts' rollup (scoring.models.AccountScore): each account's counts over its contacts'
latest answers (LatestScore) of the accounts list's default period, per survey type, so the list
sorts and pages 100,000 accounts by reading one stored row each instead of grouping answers.

Only the rollup refresh writes it (scoring.rollup, every 30 seconds, in the same transaction as
LatestScore): the accounts of the contacts whose latest answers it recounted, and every account
when the period's first day moves (once a day) or the rollups are rebuilt. The list reads it only
when the filters are the default ones and it covers today's period; otherwise it groups
LatestScore as before (scoring.accounts), and the accounts on a page whose contacts changed since
the last refresh are counted live either way.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, F, FloatField, Max, Q, Value
from django.db.models.functions import Cast, NullIf

from scoring.models import AccountScore, LatestScore
from scoring.recount import clear, insert_from
from surveys import nps
from surveys.models import CUSTOMER_KINDS, Role

ACCOUNT_DAYS = 365  # the accounts list's default period ("365d")
ALL_KINDS = "all"  # the stored row of both customer survey types together
COUNTS = ("n", "p", "pa", "d", "dm_n", "dm_p", "dm_pa", "dm_d", "prev_n", "prev_p", "prev_d")


def window_start(today: date) -> date:
    """The first day of the default period (as scoring.filters.parse_filters counts "365d")."""
    return today - timedelta(days=ACCOUNT_DAYS - 1)


def share(plus: str, minus: str, total: str):
    """(plus − minus) × 100 ÷ total in SQL: an NPS from counts (NULL without any)."""
    return Cast(F(plus) - F(minus), FloatField()) * Value(100.0) / NullIf(F(total), 0)


def count_annotations(prefix: str = "") -> dict:
    """The counts of COUNTS and last_at over latest-answer rows reached through `prefix`
    ("" on LatestScore itself; "latest__" through the accounts list's filtered join)."""
    target = prefix[:-2] if prefix else "pk"
    dm = Q(**{f"{prefix}account_role": Role.DECISION_MAKER})

    def count(extra: Q | None = None):
        return Count(target, filter=extra)

    def category(name, field="category"):
        return Q(**{f"{prefix}{field}": name})

    return {
        "n": count(),
        "p": count(category(nps.PROMOTER)),
        "pa": count(category(nps.PASSIVE)),
        "d": count(category(nps.DETRACTOR)),
        "dm_n": count(dm),
        "dm_p": count(dm & category(nps.PROMOTER)),
        "dm_pa": count(dm & category(nps.PASSIVE)),
        "dm_d": count(dm & category(nps.DETRACTOR)),
        "prev_n": count(Q(**{f"{prefix}prev_category__isnull": False})),
        "prev_p": count(category(nps.PROMOTER, "prev_category")),
        "prev_d": count(category(nps.DETRACTOR, "prev_category")),
        "last_at": Max(f"{prefix}submitted_at"),
    }


def sort_keys() -> dict:
    """The NPS and change the list sorts by, from the counts."""
    return {"nps": share("p", "d", "n"), "change": share("p", "d", "n") - share("prev_p", "prev_d", "prev_n")}


def accounts_of(contact_ids) -> set[int]:
    """The accounts whose stored figures count these contacts' latest answers."""
    return set(
        LatestScore.objects.filter(contact_id__in=contact_ids, account_id__isnull=False)
        .values_list("account_id", flat=True)
        .distinct()
    )


def count_accounts(account_ids, *, since: date) -> None:
    """Replace the AccountScore rows of `account_ids` (None: of every account) with their counts
    over the latest answers given on or after `since`, read from LatestScore inside the database."""
    latest = LatestScore.objects.filter(account_id__isnull=False, kind__in=CUSTOMER_KINDS)
    if account_ids is None:
        clear(AccountScore)
    else:
        account_ids = list(account_ids)
        if not account_ids:
            return
        AccountScore.objects.filter(account_id__in=account_ids).delete()
        latest = latest.filter(account_id__in=account_ids)
    latest = latest.filter(submitted_at__gte=datetime.combine(since, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE)))
    for rows in (
        latest.values("account_id", "kind"),
        latest.values("account_id").annotate(kind=Value(ALL_KINDS)),
    ):
        insert_from(
            AccountScore, rows.annotate(**count_annotations(), since=Value(since)).annotate(**sort_keys()).order_by()
        )
