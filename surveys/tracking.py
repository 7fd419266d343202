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
DEFERRED = "deferred"
# Postmark bounce types that mean the address itself is bad (with "Inactive": true Postmark has
# stopped sending to it, whatever the type).
POSTMARK_PERMANENT = {"HardBounce", "BadEmailAddress", "ManuallyDeactivated"}


def failure_is_permanent(esp_event) -> bool:
    """Does this bounce or rejection, as the provider sent it, mean the address will never work?

    anymail reports a Postmark SoftBounce and a SendGrid "blocked" bounce as `bounced`, like a hard
    one, so the provider's own payload decides: Postmark's `Inactive` and bounce `Type`, Mailgun's
    `severity`, SendGrid's bounce `type`; else the SMTP status class (5.x.x permanent, 4.x.x
    temporary). Without any of these (another provider), a bounce counts as permanent."""
    data = esp_event if isinstance(esp_event, dict) else {}
    data = data.get("event-data", data)  # Mailgun nests the event under "event-data"
    status = str(data.get("status") or (data.get("delivery-status") or {}).get("code") or "")
    if status[:1] == "4":  # an SMTP 4xx / 4.x.x answer: try again later (also Mailgun giving up on one)
        return False
    if "RecordType" in data:  # Postmark
        return bool(data.get("Inactive")) or data.get("Type") in POSTMARK_PERMANENT
    if data.get("severity") == "temporary":  # Mailgun
        return False
    # SendGrid "blocked": the receiving server refused the message (reputation, content), not the address.
    return data.get("type") != "blocked"


def tracking_event_apply(
    *, event_type: str, message_id: str | None, recipient: str | None, description: str = "", permanent: bool = True
) -> str:
    """Apply one provider event. Returns what was done (for logging and tests). Idempotent.

    A bounce marks the invitation bounced; only a permanent one (`permanent`, see
    failure_is_permanent) marks the contact undeliverable too. After a temporary one the contact
    stays invitable. A complaint or unsubscribe opts the contact out."""
    if event_type not in BOUNCES | OPT_OUTS | {DEFERRED}:
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
        if event_type == DEFERRED:  # the provider is still trying: note why on the invitation, nothing more
            if invitation and invitation.status in (Invitation.Status.SENT, Invitation.Status.QUEUED):
                invitation.failure_reason = f"temporary: {description or event_type}"[:1000]
                invitation.save(update_fields=["failure_reason"])
            return "deferred"
        if event_type in BOUNCES:
            if invitation and invitation.status in (Invitation.Status.SENT, Invitation.Status.QUEUED):
                invitation.status = Invitation.Status.BOUNCED
                reason = description or event_type
                invitation.failure_reason = (reason if permanent else f"temporary: {reason}")[:1000]
                invitation.save(update_fields=["status", "failure_reason"])
            if not permanent:
                return "bounced once"
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
        description=event.description or event.mta_response or event.reject_reason or "",
        permanent=failure_is_permanent(event.esp_event),
    )
    logger.info("%s tracking event %s for %s: %s", esp_name, event.event_type, event.recipient, result)
