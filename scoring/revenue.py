"""Revenue figures (#24; defined in README, "Accounts and revenue"): the revenue-weighted NPS and
the revenue at risk, in total, by account team and by segment, and their trend.

They read each account's health, which the worker keeps (surveys.account_health: each contact's
latest relational answer of the last 12 months), and sum ARR in the reporting currency, at the
fixed rates of surveys.account_money; an account in a currency without a rate is counted apart and
left out of the sums. The worker's refresh also stores the
day's sums per account team and segment (AccountRevenueDay): a page reads today's few rows, and
counts from the accounts (one grouped query, the same sums) when there are none yet. The trend
reads the last stored day of each month.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Sum
from django.utils import timezone

from core.models import Team
from surveys import account_money
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


SUMS = ("accounts", "arr_total", "arr_answered", "arr_nps", "arr_at_risk", "arr_silent")


def _revenue(label, row) -> Revenue:
    return Revenue(label=label, **{name: row[name] for name in SUMS})


def _add(rows, key) -> list[tuple]:
    """(key value, summed row) per distinct key value of `rows`, the largest ARR first."""
    groups: dict = {}
    for row in rows:
        total = groups.setdefault(row[key], dict.fromkeys(SUMS, 0))
        for name in SUMS:
            total[name] += row[name] or 0
    return sorted(groups.items(), key=lambda item: -item[1]["arr_total"])


def revenue_groups() -> list[dict]:
    """The figures per account team and segment: those the health refresh stored today (a few
    rows), else counted now from the accounts (one grouped query), which gives the same numbers
    from the same stored health."""
    stored = AccountRevenueDay.objects.filter(day=timezone.localdate())
    if stored.exists():
        return [
            {
                "team_id": row.team_id,
                "segment": row.segment,
                "accounts": row.accounts,
                "arr_total": row.arr,
                "arr_answered": row.arr_answered,
                "arr_nps": row.arr_nps,
                "arr_at_risk": row.arr_at_risk,
                "arr_silent": row.arr_silent,
            }
            for row in stored
        ]
    return list(revenue_accounts().values("team_id", "segment").annotate(**revenue_sums()).order_by())


def revenue_summary(filters=None, *, months: int = 12) -> dict:
    """The totals, by team and segment, the monthly trend, and the currency (accounts not in it apart)."""
    rows = revenue_groups()
    total = _revenue("", {name: sum(row[name] or 0 for row in rows) for name in SUMS})
    teams = dict(Team.objects.values_list("pk", "name"))
    left_out = dict(
        Account.objects.filter(status=Account.Status.ACTIVE, arr__isnull=False)
        .exclude(account_money.convertible())
        .values_list("currency")
        .annotate(n=Count("pk"))
        .order_by("currency")
    )
    return {
        "currency": account_money.reporting_currency(),
        "rates": {
            code: rate
            for code, rate in sorted(account_money.rates().items())
            if code != account_money.reporting_currency()
        },
        "total": total,
        "by_team": [_revenue(teams.get(team, "—"), row) for team, row in _add(rows, "team_id")],
        "by_segment": [_revenue(segment or "—", row) for segment, row in _add(rows, "segment")],
        "trend": revenue_trend(months=months),
        "other_currency": sum(left_out.values()),
        "left_out": left_out,  # currency without a rate → how many active accounts in it
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
