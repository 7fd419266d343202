"""Escalation of overdue cases: level 1 to the team lead (admins when there is none), level 2 to
the admins once the case is late by its whole SLA again. Each level happens once per case: the
level is raised with a conditional UPDATE, so two beat runs at once escalate once, and with it a
notice for each recipient (EscalationNotice, unique per case, level and recipient). Then every
recipient gets one e-mail listing all their cases not yet told (emails.send_escalation_digest):
one e-mail per recipient per run, each case and level in exactly one of them."""

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
from followups.models import EscalationNotice, FollowUp, FollowUpEvent

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
    """Raise `case` to `level` and note it for the recipients' next digest; False when another run
    got there first.

    The level, the event and the notices share one transaction. A concurrent run's UPDATE waits on
    the row lock and then matches nothing, so each level is recorded, and noted, once.
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
        EscalationNotice.objects.bulk_create(
            [EscalationNotice(followup=case, level=level, recipient=recipient) for recipient in recipients],
            ignore_conflicts=True,
        )
        webhooks.events.emit("followup.escalated", case)
    return True


def escalate_overdue(*, now=None, limit: int = 500) -> int:
    """Escalate every case whose next level is due (at most `limit` per run), then send each
    recipient one e-mail with all their cases not yet told. Returns how many cases escalated."""
    now = now or timezone.now()
    escalated = 0
    for case in due_for_escalation(now=now)[:limit]:
        try:
            escalated += escalate_case(case, level=case.escalation_level + 1)
        except Exception:  # one failing case must not hold up the others; retried next run
            logger.exception("Could not escalate follow-up %s; the next run retries it.", case.pk)
    send_escalation_digests()
    return escalated


def send_escalation_digests() -> int:
    """One e-mail to each recipient with unsent notices, listing their cases; a recipient whose
    e-mail fails keeps their notices for the next run. Returns how many e-mails were sent."""
    recipients = EscalationNotice.objects.filter(sent_at__isnull=True).values_list("recipient_id", flat=True).distinct()
    sent = 0
    for recipient_id in sorted(recipients):
        try:
            sent += emails.send_escalation_digest(recipient_id=recipient_id)
        except Exception:
            logger.exception("Could not send the escalation e-mail to user %s; the next run retries it.", recipient_id)
    return sent
