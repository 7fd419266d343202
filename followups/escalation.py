"""Escalation of overdue cases: level 1 to the team lead (admins when there is none), level 2 to
the admins once the case is late by its whole SLA again. Each level happens once per case: the
level is raised with a conditional UPDATE, so two beat runs at once escalate once."""

import logging

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import DateTimeField, DurationField, ExpressionWrapper, F, Q
from django.utils import timezone
from django.utils.translation import gettext_noop

import webhooks.events
from core.roles import ADMIN
from followups import emails
from followups.history import said
from followups.models import FollowUp, FollowUpEvent

User = get_user_model()
logger = logging.getLogger(__name__)

# Level 2 is due when the case is late by its whole SLA again: due + (due − created).
SECOND_DEADLINE = ExpressionWrapper(
    F("due_at") + ExpressionWrapper(F("due_at") - F("created_at"), output_field=DurationField()),
    output_field=DateTimeField(),
)


def admins():
    return list(
        User.objects.filter(is_active=True)
        .filter(Q(groups__name=ADMIN) | Q(is_superuser=True))
        .distinct()
        .order_by("pk")
    )


def recipients_for(case: FollowUp, level: int) -> list:
    if level == 1 and case.team_id and case.team.lead_id and case.team.lead.is_active:
        return [case.team.lead]
    return admins()


def due_for_escalation(*, now):
    """Open cases whose next escalation level is due, selected in SQL so a backlog of cases that
    already reached level 1 cannot crowd out newly overdue ones."""
    return (
        FollowUp.objects.filter(status__in=FollowUp.OPEN_STATUSES, due_at__lt=now)
        .alias(second_deadline=SECOND_DEADLINE)
        .filter(Q(escalation_level=0) | Q(escalation_level=1, second_deadline__lte=now))
        .select_related("team__lead", "owner", "response__campaign", "contact")
        .order_by("due_at")
    )


def escalate_case(case: FollowUp, *, level: int) -> bool:
    """Raise `case` to `level` and tell the recipients; False when another run got there first.

    The level, the event and the e-mails share one transaction: if sending fails, the level rolls
    back and the next run tries again (at least once rather than never). A concurrent run's UPDATE
    waits on the row lock and then matches nothing, so each level is recorded and sent once.
    """
    with transaction.atomic():
        raised = FollowUp.objects.filter(
            pk=case.pk, escalation_level=level - 1, status__in=FollowUp.OPEN_STATUSES
        ).update(escalation_level=level)
        if not raised:
            return False
        case.escalation_level = level
        recipients = recipients_for(case, level)
        line = said(
            gettext_noop("Overdue: escalated to %(to)s (level %(level)s)."),
            level=level,
            to=", ".join(r.get_username() for r in recipients) or None,
        )
        FollowUpEvent.objects.create(
            followup=case,
            kind=FollowUpEvent.Kind.ESCALATED,
            text=line["text"],
            data={"level": level, "to": [r.pk for r in recipients], "i18n": line["i18n"]},
        )
        for recipient in recipients:
            emails.send_escalation(followup=case, level=level, recipient=recipient)
        webhooks.events.emit("followup.escalated", case)
    return True


def escalate_overdue(*, now=None, limit: int = 500) -> int:
    """Escalate every case whose next level is due (at most `limit` per run). Returns how many."""
    now = now or timezone.now()
    escalated = 0
    for case in due_for_escalation(now=now)[:limit]:
        try:
            escalated += escalate_case(case, level=case.escalation_level + 1)
        except Exception:  # one failing e-mail must not hold up the other cases; retried next run
            logger.exception("Could not escalate follow-up %s; the next run retries it.", case.pk)
    return escalated
