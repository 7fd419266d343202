"""The worker's recount of each account's health (surveys.account_rules): derived data, written
only here, read by routing ("account health" conditions), the revenue figures and the webhooks.

Beat runs `account_health_refresh` every 10 minutes (surveys.tasks.refresh_account_health): it
reads each active account's contacts' latest relational answer of the last SILENT_MONTHS months in
one windowed query, works out NPS, n and label, and writes only the accounts whose figures changed.
A label that changes sends `account.health_changed` (not the first label an account gets). It can
run twice or be interrupted at any point: each account's row is written with its own figures.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import BigIntegerField, Count, F, Q, Sum, Value, Window
from django.db.models.functions import Cast, Coalesce, Round, RowNumber
from django.utils import timezone

from surveys import account_money, nps
from surveys.account_rules import RISKY, SILENT, health_label, silent_since
from surveys.models import Account, AccountRevenueDay, Campaign, Response, Role
from webhooks import events

BATCH = 1000


@dataclass
class Tally:
    """Category counts of an account's contacts' latest answers, decision makers apart."""

    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    dm_promoters: int = 0
    dm_passives: int = 0
    dm_detractors: int = 0
    last_answer_at: object = None

    def add(self, category: str, role: str, submitted_at) -> None:
        field = {nps.PROMOTER: "promoters", nps.PASSIVE: "passives", nps.DETRACTOR: "detractors"}[category]
        setattr(self, field, getattr(self, field) + 1)
        if role == Role.DECISION_MAKER:
            setattr(self, f"dm_{field}", getattr(self, f"dm_{field}") + 1)
        if self.last_answer_at is None or submitted_at > self.last_answer_at:
            self.last_answer_at = submitted_at

    def result(self) -> nps.NpsResult:
        return nps.nps_from_counts(promoters=self.promoters, passives=self.passives, detractors=self.detractors)

    def dm_result(self) -> nps.NpsResult:
        return nps.nps_from_counts(
            promoters=self.dm_promoters, passives=self.dm_passives, detractors=self.dm_detractors
        )


def latest_answers(answers):
    """Each contact's latest answer among `answers` (ROW_NUMBER over the contact's answers, newest
    first), as rows of account_id, role, category, score, submitted_at."""
    return (
        answers.exclude(contact_id=None)
        .alias(
            newest_first=Window(
                RowNumber(), partition_by=[F("contact_id")], order_by=[F("submitted_at").desc(), F("id").desc()]
            )
        )
        .filter(newest_first=1)
        .values("contact_id", "category", "score", "submitted_at")
        .annotate(account_id=F("contact__account_id"), role=F("contact__account_role"))
    )


def tallies(answers) -> dict[int, Tally]:
    """Account id → Tally over its contacts' latest answers among `answers`."""
    found = defaultdict(Tally)
    for row in latest_answers(answers.filter(contact__account__isnull=False)).iterator(chunk_size=2000):
        found[row["account_id"]].add(row["category"], row["role"], row["submitted_at"])
    return found


def health_answers(now):
    """The answers the health counts: relational, given in the SILENT_MONTHS months up to `now`."""
    return Response.objects.filter(
        kind=Campaign.Kind.RELATIONAL, submitted_at__gte=silent_since(now), submitted_at__lte=now
    )


def account_health_refresh(*, account_ids: list[int] | None = None, now=None) -> int:
    """Recount the health of the active accounts (or of `account_ids`); returns how many changed."""
    now = now or timezone.now()
    answers = health_answers(now)
    accounts = Account.objects.filter(status=Account.Status.ACTIVE)
    if account_ids is not None:
        answers = answers.filter(contact__account_id__in=account_ids)
        accounts = accounts.filter(pk__in=account_ids)
    counted = tallies(answers)
    changed = 0
    rows = accounts.values_list("pk", "health", "health_nps", "health_n").order_by("pk")
    for start in range(0, 10**12, BATCH):
        batch = list(rows[start : start + BATCH])
        if not batch:
            break
        changed += _write(batch, counted, now)
    if account_ids is None:
        revenue_day_write(day=timezone.localdate(now))
    return changed


def revenue_accounts():
    """The accounts the revenue figures add up: active, with an ARR that has a rate into the
    reporting currency (surveys.account_money)."""
    return Account.objects.filter(account_money.convertible(), status=Account.Status.ACTIVE)


def revenue_sums() -> dict:
    """The revenue figures as SQL sums over revenue_accounts(), ARR in the reporting currency
    (README, "Accounts and revenue"): revenue-weighted NPS = arr_nps ÷ arr_answered; revenue at
    risk = arr_at_risk; silent = arr_silent. ARR sums are rounded to whole units."""
    arr = account_money.reporting_arr()
    answered = Q(health_nps__isnull=False)

    def whole(condition: Q | None = None):
        return Cast(Round(Coalesce(Sum(arr, filter=condition), Value(0.0))), BigIntegerField())

    return {
        "accounts": Count("pk"),
        "arr_total": whole(),
        "arr_answered": whole(answered),
        "arr_nps": Coalesce(Sum(arr * F("health_nps"), filter=answered), Value(0.0)),
        "arr_at_risk": whole(Q(health__in=RISKY)),
        "arr_silent": whole(Q(health=SILENT)),
    }


def revenue_day_write(*, day) -> None:
    """Today's revenue figures per account team and segment (replacing today's), for the trend."""
    rows = revenue_accounts().values("team_id", "segment").annotate(**revenue_sums()).order_by()
    with transaction.atomic():
        AccountRevenueDay.objects.filter(day=day).delete()
        AccountRevenueDay.objects.bulk_create(
            [
                AccountRevenueDay(
                    day=day,
                    team_id=row["team_id"],
                    segment=row["segment"],
                    accounts=row["accounts"],
                    arr=row["arr_total"],
                    arr_answered=row["arr_answered"],
                    arr_nps=row["arr_nps"],
                    arr_at_risk=row["arr_at_risk"],
                    arr_silent=row["arr_silent"],
                )
                for row in rows
            ]
        )


def _write(batch, counted: dict[int, Tally], now) -> int:
    updates, relabelled = [], []
    for pk, health, health_nps, health_n in batch:
        tally = counted.get(pk, Tally())
        result = tally.result()
        label = health_label(
            nps_value=result.nps, dm_detractors=tally.dm_detractors, last_answer_at=tally.last_answer_at, now=now
        )
        if (label, result.nps, result.n) == (health, health_nps, health_n):
            continue
        account = Account(pk=pk, health=label, health_nps=result.nps, health_n=result.n)
        account.health_changed_at = now if label != health else None
        updates.append(account)
        if health and label != health:
            relabelled.append((pk, health))
    if not updates:
        return 0
    with transaction.atomic():
        Account.objects.bulk_update(
            [a for a in updates if a.health_changed_at], ["health", "health_nps", "health_n", "health_changed_at"]
        )
        Account.objects.bulk_update([a for a in updates if not a.health_changed_at], ["health_nps", "health_n"])
        if relabelled:
            previous = dict(relabelled)
            records = list(Account.objects.filter(pk__in=previous).select_related("owner", "team").order_by("pk"))
            for record in records:
                record.previous_health = previous[record.pk]
            events.emit_many("account.health_changed", records)
    return len(updates)
