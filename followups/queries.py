"""Reads for the follow-up pages and the dashboard's SLA panel."""

from django.contrib.auth import get_user_model
from django.db.models import (
    Aggregate,
    Avg,
    CharField,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone

from core.models import EmailDelivery
from core.roles import ADMIN, answer_teams, case_workers, has_role
from followups.models import FollowUp, FollowUpEvent
from surveys.models import Campaign, Category, Response
from surveys.queries import TimelineItem

# Cases no routing rule matched: no owner, no team. Admins and team leads work them.
FALLBACK_QUEUE = Q(owner__isnull=True, team__isnull=True)


def assignable_users():
    """Who cases can be handed to: those who can work cases (core.roles.case_workers)."""
    return case_workers(get_user_model().objects.all()).order_by("username")


def contact_cases_timeline(contact):
    """The contact's cases on their timeline (surveys.queries.contact_timeline; added in FollowupsConfig.ready())."""
    cases = FollowUp.objects.filter(contact=contact).select_related("owner", "team")
    return [TimelineItem(case.created_at, "followup", case) for case in cases]


def is_lead(user) -> bool:
    """Leads (and admins) reassign in bulk and work the fallback queue."""
    return has_role(user, ADMIN) or user.led_teams.exists()


def _queue_condition(user) -> Q:
    team_ids = set(user.teams.values_list("pk", flat=True)) | set(user.led_teams.values_list("pk", flat=True))
    condition = Q(team_id__in=team_ids)
    if user.led_teams.exists():
        condition |= FALLBACK_QUEUE
    return condition


def queue_followups(user):
    """The team queue: every case of the user's teams (owned or not), for leads also the fallback
    queue; admins see every team's cases and the fallback queue."""
    if has_role(user, ADMIN):
        return FollowUp.objects.all()
    return FollowUp.objects.filter(_queue_condition(user))


def visible_followups(user):
    """Cases a user may open: the team queue plus the cases they own (routed to them from anywhere)."""
    if has_role(user, ADMIN):
        return FollowUp.objects.all()
    return FollowUp.objects.filter(_queue_condition(user) | Q(owner=user))


def visible_responses(user):
    """Answers a user may see and act on: every answer for admins (and viewers, who only ever get
    figures), else their teams' answers (core.roles.answer_teams) and those of cases they may open."""
    teams = answer_teams(user)
    # An employee's answer (eNPS) is nobody's to see or link, unless they asked to be contacted.
    answers = Response.objects.exclude(kind=Campaign.Kind.EMPLOYEE, may_contact=False)
    if teams is None:
        return answers
    return answers.filter(Q(team_id__in=teams) | Q(followup__in=visible_followups(user)))


def followup_for_user(user, pk: int) -> FollowUp:
    """One case, or 404 when the user may not see it (no hint that it exists)."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(
        visible_followups(user).select_related(
            "response__campaign", "response__touchpoint", "contact", "owner", "team", "routed_by"
        ),
        pk=pk,
    )


def queue_rows(qs):
    return qs.select_related("response__campaign", "response__touchpoint", "contact", "owner", "team")


def cases_filtered(
    qs,
    *,
    status: str = "open",
    category: str = "",
    campaign_id: int | None = None,
    touchpoint_id: int | None = None,
    overdue: bool = False,
):
    """The case lists' filters, soonest deadline first. A status or category that is not one of
    ours filters nothing ("open": every open status)."""
    if status == "open":
        qs = qs.filter(status__in=FollowUp.OPEN_STATUSES)
    elif status in FollowUp.Status.values:
        qs = qs.filter(status=status)
    if category in Category.values:
        qs = qs.filter(category=category)
    if campaign_id is not None:
        qs = qs.filter(response__campaign_id=campaign_id)
    if touchpoint_id is not None:
        qs = qs.filter(response__touchpoint_id=touchpoint_id)
    if overdue:
        qs = qs.filter(FollowUp.overdue_condition())
    return qs.order_by("due_at", "pk")


def case_timeline(case: FollowUp, user) -> tuple[list[dict], int]:
    """The customer's other answers and cases around this one that `user` may see, oldest first,
    for the case page, and how many more there are (other teams' answers and cases: only counted).
    An answer is shown when it is this case's or the user may see it (visible_responses); a case
    when the user may open it (visible_followups)."""
    if not case.contact_id:
        return [], 0
    answers = Response.objects.filter(contact_id=case.contact_id).exclude(
        kind=Campaign.Kind.EMPLOYEE, may_contact=False
    )
    if answer_teams(user) is not None:
        answers = answers.filter(Q(pk__in=visible_responses(user).values("pk")) | Q(pk=case.response_id))
    cases = visible_followups(user).filter(contact_id=case.contact_id).exclude(pk=case.pk)
    timeline = [
        {"at": r.submitted_at, "kind": "response", "obj": r, "current": r.pk == case.response_id}
        for r in answers.select_related("campaign")
    ]
    timeline += [{"at": f.created_at, "kind": "followup", "obj": f} for f in cases]
    timeline.sort(key=lambda item: item["at"])
    hidden = (
        Response.objects.filter(contact_id=case.contact_id).count()
        + FollowUp.objects.filter(contact_id=case.contact_id).exclude(pk=case.pk).count()
        - len(timeline)
    )
    return timeline, hidden


def responses_to_process(*, before, changed_since, limit: int) -> list[int]:
    """Responses the follow-up step has not (yet) seen: never processed, or changed after it ran
    (a re-answered score whose task was lost). Only those older than `before`, so work in flight
    is left to its task; oldest first, at most `limit` of each kind."""
    never = (
        Response.objects.filter(processed_at__isnull=True, submitted_at__lt=before)
        .order_by("submitted_at")
        .values_list("pk", flat=True)[:limit]
    )
    changed = (
        Response.objects.filter(updated_at__gte=changed_since, updated_at__lt=before, processed_at__lt=F("updated_at"))
        .order_by("updated_at")
        .values_list("pk", flat=True)[:limit]
    )
    return list(never) + list(changed)


def replies_not_sent(*, created_from, created_before):
    """Ids of replies to customers still waiting for their e-mail (the task was lost)."""
    return (
        FollowUpEvent.objects.filter(
            kind=FollowUpEvent.Kind.REPLY, data__sent=False, created_at__gte=created_from, created_at__lt=created_before
        )
        .order_by("created_at")
        .values_list("pk", flat=True)
    )


def followups_missing_owner_alert(*, created_from, created_before, held_since=None):
    """Open cases whose owner (or, for a team queue, team lead) has no sent alert: the e-mail task
    was lost. The key mirrors followups.emails.owner_alert_key. With `held_since`, a case whose
    customer has not given their "why" counts only once opened before then (its alert is held)."""
    recipient = Coalesce("owner_id", "team__lead_id")
    key = Concat(
        Value("followup-owner:"),
        Cast("pk", CharField()),
        Value(":"),
        Cast(recipient, CharField()),
        output_field=CharField(),
    )
    sent = EmailDelivery.objects.filter(key=OuterRef("alert_key"), status=EmailDelivery.Status.SENT)
    return (
        FollowUp.objects.filter(
            created_at__gte=created_from, created_at__lt=created_before, status__in=FollowUp.OPEN_STATUSES
        )
        .alias(recipient_id=recipient, alert_key=key)
        .filter(recipient_id__isnull=False)
        .filter(~Exists(sent))
        .filter(Q() if held_since is None else ~Q(response__comment="") | Q(created_at__lt=held_since))
        .order_by("created_at")
    )


class Median(Aggregate):
    """The median in SQL: PostgreSQL's ordered-set aggregate; on SQLite (the embedded demo) the
    KL_MEDIAN aggregate registered by followups.apps."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"

    def as_sqlite(self, compiler, connection, **extra_context):
        plain = self.copy()
        plain.function, plain.template = "KL_MEDIAN", "%(function)s(%(expressions)s)"
        return super(Median, plain).as_sql(compiler, connection, **extra_context)


class SQLiteMedian:
    """KL_MEDIAN for SQLite (sqlite3.Connection.create_aggregate)."""

    def __init__(self):
        self.values = []

    def step(self, value):
        if value is not None:
            self.values.append(value)

    def finalize(self):
        if not self.values:
            return None
        ordered, middle = sorted(self.values), len(self.values) // 2
        return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def sla_health(*, since=None, team_ids=None):
    """Open, overdue, closed within SLA and time to first contact (average and median), overall,
    per team and per owner, in SQL. `in_sla_share` is the share of closed cases closed by their deadline."""
    now = timezone.now()
    qs = FollowUp.objects.all()
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if team_ids:
        qs = qs.filter(team_id__in=team_ids)
    first_contact = ExpressionWrapper(F("first_contact_at") - F("created_at"), output_field=DurationField())
    aggregates = {
        "total": Count("id"),
        "open": Count("id", filter=Q(status__in=FollowUp.OPEN_STATUSES)),
        "overdue": Count("id", filter=Q(status__in=FollowUp.OPEN_STATUSES, due_at__lt=now)),
        "closed": Count("id", filter=Q(closed_at__isnull=False)),
        "closed_in_sla": Count("id", filter=Q(closed_at__isnull=False, closed_at__lte=F("due_at"))),
        "avg_first_contact": Avg(first_contact, filter=Q(first_contact_at__isnull=False)),
        "median_first_contact": Median(
            first_contact, filter=Q(first_contact_at__isnull=False), output_field=DurationField()
        ),
    }
    overall = qs.aggregate(**aggregates)
    by_team = list(qs.values("team__name").annotate(**aggregates).order_by("team__name"))
    by_owner = list(qs.values("owner__username").annotate(**aggregates).order_by("-open", "owner__username"))
    for row in [overall, *by_team, *by_owner]:
        row["in_sla_share"] = (row["closed_in_sla"] / row["closed"]) if row["closed"] else None
    return {"overall": overall, "by_team": by_team, "by_owner": by_owner}


def case_ending(case: FollowUp) -> dict | None:
    """How a resolved or closed case ended, for its page: the status, when, by whom (the history
    line that closed it), and whether within the deadline (late_by is None when in time). None
    for an open case."""
    if case.status not in (FollowUp.Status.RESOLVED, FollowUp.Status.CLOSED) or case.closed_at is None:
        return None
    closing = (
        case.events.filter(kind=FollowUpEvent.Kind.STATUS, data__status_to=case.status)
        .select_related("actor")
        .order_by("-created_at", "-pk")
        .first()
    )
    return {
        "status": case.get_status_display(),
        "at": case.closed_at,
        "by": closing.actor if closing is not None else None,
        "late_by": case.closed_at - case.due_at if case.closed_at > case.due_at else None,
    }
