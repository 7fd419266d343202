"""Escalation of overdue cases: level 1 to the team lead (admins when there is none), level 2 to
the admins once the case is overdue by its whole SLA again. Each level happens once per case: the
level is raised with a conditional UPDATE, so two beat runs at once escalate once."""

from django.contrib.auth import get_user_model
from django.db.models import F
from django.utils import timezone

from core.roles import ADMIN
from followups import emails
from followups.models import FollowUp, FollowUpEvent

User = get_user_model()


def _admins():
    return list(User.objects.filter(is_active=True).filter(groups__name=ADMIN).distinct()) or list(
        User.objects.filter(is_active=True, is_superuser=True))


def escalate_overdue(*, now=None, limit: int = 500) -> int:
    now = now or timezone.now()
    escalated = 0
    overdue = (FollowUp.objects.filter(status__in=FollowUp.OPEN_STATUSES, due_at__lt=now, escalation_level__lt=2)
               .select_related("team__lead", "owner", "response__campaign", "contact").order_by("due_at")[:limit])
    for case in overdue:
        level = case.escalation_level + 1
        if level == 2 and now < case.due_at + (case.due_at - case.created_at):
            continue  # level 2 only once the case is late by a whole SLA again
        if not FollowUp.objects.filter(pk=case.pk, escalation_level=case.escalation_level).update(
                escalation_level=F("escalation_level") + 1):
            continue  # another run escalated it first
        recipients = [case.team.lead] if level == 1 and case.team_id and case.team.lead_id else _admins()
        FollowUpEvent.objects.create(
            followup=case, kind=FollowUpEvent.Kind.ESCALATED,
            text=f"Overdue: escalated to {', '.join(r.get_username() for r in recipients) or 'nobody'} (level {level}).",
            data={"level": level, "to": [r.pk for r in recipients]})
        case.escalation_level = level
        for recipient in recipients:
            emails.send_escalation(followup=case, level=level, recipient=recipient)
        escalated += 1
    return escalated
