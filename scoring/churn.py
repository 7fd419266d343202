"""NPS against churn (#24): did accounts churn more often after their customers were unhappy?

For a horizon of 6 or 12 months the report looks back to the day the horizon began (T = today −
horizon). The cohort is the accounts that were customers then (active now, or churned after T).
Each gets the category it had at T: its account NPS (surveys.account_rules.account_category) over
each contact's latest relational answer of the 12 months up to T; those without one are "no
answer". Per category: how many accounts, how many churned between T and today, the churn rate with
its 95 % Wilson interval, and the ARR they had and the ARR that churned. Contacts count in the
account they are in now.
"""

from dataclasses import dataclass
from datetime import date, datetime, time

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from surveys import nps
from surveys.account_health import tallies
from surveys.account_rules import account_category, wilson
from surveys.models import Account, Campaign, Response

HORIZONS = (6, 12)
NO_ANSWER = "none"
ROWS = (nps.PROMOTER, nps.PASSIVE, nps.DETRACTOR, NO_ANSWER)


@dataclass
class ChurnRow:
    category: str
    accounts: int = 0
    churned: int = 0
    arr: int = 0
    arr_churned: int = 0

    @property
    def rate(self) -> float | None:
        return self.churned / self.accounts if self.accounts else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson(self.churned, self.accounts)


@dataclass
class ChurnReport:
    months: int
    since: date
    rows: list[ChurnRow]


def categories_at(moment: datetime) -> dict[int, str]:
    """Account id → its category at `moment` (accounts without a relational answer in the year
    before it are left out)."""
    answers = Response.objects.filter(
        kind=Campaign.Kind.RELATIONAL, submitted_at__lte=moment, submitted_at__gt=moment - relativedelta(months=12)
    )
    return {pk: account_category(tally.result().nps) for pk, tally in tallies(answers).items()}


def churn_by_category(*, months: int, today: date | None = None) -> ChurnReport:
    today = today or timezone.localdate()
    since = today - relativedelta(months=months)
    moment = datetime.combine(since, time.max, tzinfo=timezone.get_current_timezone())
    category = categories_at(moment)
    rows = {name: ChurnRow(name) for name in ROWS}
    cohort = Account.objects.exclude(status=Account.Status.CHURNED, churned_at__lte=since)
    for pk, status, churned_at, arr in cohort.values_list("pk", "status", "churned_at", "arr").iterator():
        row = rows[category.get(pk) or NO_ANSWER]
        row.accounts += 1
        row.arr += arr or 0
        if status == Account.Status.CHURNED and since < churned_at <= today:
            row.churned += 1
            row.arr_churned += arr or 0
    return ChurnReport(months=months, since=since, rows=[rows[name] for name in ROWS])


def churn_report(*, today: date | None = None) -> list[ChurnReport]:
    return [churn_by_category(months=months, today=today) for months in HORIZONS]
