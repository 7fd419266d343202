"""Revenue figures (#24; defined in README, "Accounts and revenue"): the revenue-weighted NPS and
the revenue at risk, in total, by account team and by segment, and their trend.

They read each account's health, which the worker keeps (surveys.account_health: each contact's
latest relational answer of the last 12 months), and sum ARR in the reporting currency; an account
in another currency is counted apart and left out of the sums. The trend reads the figures the
refresh stores once a day (AccountRevenueDay): the last stored day of each month.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from core.models import Team
from surveys.account_health import revenue_accounts, revenue_sums
from surveys.models import Account, AccountRevenueDay


@dataclass
class Revenue:
    """One group's revenue figures."""

    label: str
    accounts: int
    arr_total: int
    arr_answered: int
    arr_nps: float
    arr_at_risk: int
    arr_silent: int

    @property
    def weighted_nps(self) -> float | None:
        """Σ(ARR × account NPS) ÷ Σ ARR, over the accounts with an account NPS."""
        return self.arr_nps / self.arr_answered if self.arr_answered else None

    @property
    def at_risk_share(self) -> float | None:
        return self.arr_at_risk * 100 / self.arr_total if self.arr_total else None


def _revenue(label, row) -> Revenue:
    return Revenue(
        label=label,
        accounts=row["accounts"],
        arr_total=row["arr_total"],
        arr_answered=row["arr_answered"],
        arr_nps=row["arr_nps"],
        arr_at_risk=row["arr_at_risk"],
        arr_silent=row["arr_silent"],
    )


def revenue_summary(filters=None, *, months: int = 12) -> dict:
    """The totals, by team and segment, the monthly trend, and the currency (accounts not in it apart)."""
    accounts = revenue_accounts()
    total = _revenue("", accounts.aggregate(**revenue_sums()))
    teams = dict(Team.objects.values_list("pk", "name"))
    by_team = [
        _revenue(teams.get(row["team_id"], "—"), row)
        for row in accounts.values("team_id").annotate(**revenue_sums()).order_by("-arr_total")
    ]
    by_segment = [
        _revenue(row["segment"] or "—", row)
        for row in accounts.values("segment").annotate(**revenue_sums()).order_by("-arr_total")
    ]
    other_currency = (
        Account.objects.filter(status=Account.Status.ACTIVE, arr__isnull=False)
        .exclude(currency=settings.KRINGLOOP["CURRENCY"])
        .count()
    )
    return {
        "currency": settings.KRINGLOOP["CURRENCY"],
        "total": total,
        "by_team": by_team,
        "by_segment": by_segment,
        "trend": revenue_trend(months=months),
        "other_currency": other_currency,
    }


def revenue_trend(*, months: int = 12) -> list[dict]:
    """Per month (the last stored day of each): total ARR, revenue at risk, silent ARR, weighted NPS."""
    since = timezone.localdate() - timedelta(days=31 * months)
    days = AccountRevenueDay.objects.filter(day__gte=since).values_list("day", flat=True).distinct()
    last_of_month = {}
    for day in days:
        key = (day.year, day.month)
        last_of_month[key] = max(day, last_of_month.get(key, day))
    wanted = sorted(last_of_month.values())
    if not wanted:
        return []
    sums = (
        AccountRevenueDay.objects.filter(day__in=wanted)
        .values("day")
        .annotate(
            accounts=Sum("accounts"),
            arr_total=Sum("arr"),
            arr_answered=Sum("arr_answered"),
            arr_nps=Sum("arr_nps"),
            arr_at_risk=Sum("arr_at_risk"),
            arr_silent=Sum("arr_silent"),
        )
        .order_by("day")
    )
    return [{"day": row["day"], "revenue": _revenue(row["day"].isoformat(), row)} for row in sums]
