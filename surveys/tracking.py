"""What the e-mail provider tells us after sending (anymail's normalised tracking events).

Wired to anymail's `tracking` signal in SurveysConfig.ready(). The webhook itself is anymail's
view, protected by ANYMAIL_WEBHOOK_SECRET (HTTP basic auth), so only the provider can post here.
"""

import logging

from django.db import transaction
from django.utils import timezone

from core.audit import audit_log
from surveys.models import Contact, Invitation

logger = logging.getLogger(__name__)

BOUNCES = {"bounced", "rejected"}
OPT_OUTS = {"complained", "unsubscribed"}


def tracking_event_apply(
    *, event_type: str, message_id: str | None, recipient: str | None, description: str = ""
) -> str:
    """Apply one provider event. Returns what was done (for logging and tests). Idempotent."""
    if event_type not in BOUNCES | OPT_OUTS:
        return "ignored"
    now = timezone.now()
    with transaction.atomic():
        invitation = None
        if message_id:
            invitation = Invitation.objects.select_related("contact").filter(provider_message_id=message_id).first()
        contact = invitation.contact if invitation else None
        if contact is None and recipient:
            contact = Contact.objects.filter(email__iexact=recipient, erased_at__isnull=True).first()
        if contact is None:
            return "unknown"
        if event_type in BOUNCES:
            if invitation and invitation.status in (Invitation.Status.SENT, Invitation.Status.QUEUED):
                invitation.status = Invitation.Status.BOUNCED
                invitation.failure_reason = (description or event_type)[:1000]
                invitation.save(update_fields=["status", "failure_reason"])
            # anymail's "bounced" is a permanent (hard) bounce; soft bounces arrive as "deferred".
            updated = Contact.objects.filter(pk=contact.pk, undeliverable_at__isnull=True).update(undeliverable_at=now)
            if updated:
                audit_log(
                    actor=None,
                    action="contact.undeliverable",
                    target=contact,
                    data={"event": event_type, "message_id": message_id or ""},
                )
            return "bounced"
        updated = Contact.objects.filter(pk=contact.pk, opted_out_at__isnull=True).update(opted_out_at=now)
        if updated:
            audit_log(actor=None, action="contact.opted_out", target=contact, data={"via": f"provider {event_type}"})
        return "opted_out"


def on_tracking(sender, event, esp_name, **kwargs):
    result = tracking_event_apply(
        event_type=event.event_type,
        message_id=event.message_id,
        recipient=event.recipient,
        description=event.description or event.reject_reason or "",
    )
    logger.info("%s tracking event %s for %s: %s", esp_name, event.event_type, event.recipient, result)
