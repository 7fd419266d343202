"""The campaign status machine: the only place that decides which status changes are allowed.

draft → scheduled → sending → active → paused → closed, plus the sensible shortcuts below.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_log
from surveys.models import Campaign

S = Campaign.Status

ALLOWED = {
    S.DRAFT: {S.SCHEDULED, S.SENDING, S.ACTIVE, S.CLOSED},
    S.SCHEDULED: {S.DRAFT, S.SENDING, S.PAUSED, S.CLOSED},
    S.SENDING: {S.ACTIVE, S.PAUSED, S.CLOSED},
    S.ACTIVE: {S.SENDING, S.SCHEDULED, S.PAUSED, S.CLOSED},
    S.PAUSED: {S.SCHEDULED, S.SENDING, S.ACTIVE, S.CLOSED},
    S.CLOSED: set(),
}

# Statuses in which respondents may still answer.
ACCEPTS_ANSWERS = {S.SENDING, S.ACTIVE, S.SCHEDULED, S.PAUSED}


def can_transition(current: str, target: str) -> bool:
    return target in ALLOWED.get(current, set())


def allowed_targets(campaign: Campaign) -> list[str]:
    return [s for s in S.values if s in ALLOWED[campaign.status]]


def campaign_transition(*, campaign: Campaign, to: str, actor=None) -> Campaign:
    """Move a campaign to status `to`, or raise ValidationError naming the refused change.

    The row is locked so two concurrent changes (a click and a task) cannot both apply.
    """
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status == to:
            campaign.status = to
            return locked
        if not can_transition(locked.status, to):
            raise ValidationError(
                _("A %(current)s campaign cannot become %(target)s.")
                % {"current": locked.get_status_display().lower(), "target": S(to).label.lower()}
            )
        previous = locked.status
        locked.status = to
        locked.save(update_fields=["status", "updated_at"])
        audit_log(actor=actor, action="campaign.status", target=locked, data={"from": previous, "to": to})
    campaign.status = to
    return locked
