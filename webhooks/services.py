"""What admins do with webhook endpoints and deliveries. Every write lives here, audit-logged;
the signing secret never goes into the audit log."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.queue import enqueue_on_commit
from webhooks import targets
from webhooks.chat import CHAT_EVENTS
from webhooks.events import DELIVER_TASK, EVENT_TYPES, PING, deliveries_create
from webhooks.models import Delivery, Endpoint, new_secret

PREVIOUS_SECRET_VALID = timedelta(hours=24)  # after a rotation the old secret signs too, this long


def _summary(endpoint: Endpoint) -> dict:
    return {
        "url": endpoint.url,
        "events": endpoint.events,
        "active": endpoint.active,
        "description": endpoint.description,
        "format": endpoint.format,
        "team": endpoint.team_id,
    }


def _cancel_pending(endpoint: Endpoint) -> int:
    return (
        endpoint.deliveries.filter(status=Delivery.Status.PENDING)
        .exclude(event=PING)
        .update(
            status=Delivery.Status.CANCELLED,
            next_attempt_at=None,
            last_error="The endpoint was disabled.",
            updated_at=timezone.now(),
        )
    )


def endpoint_save(
    *,
    endpoint: Endpoint,
    url: str,
    description: str,
    events,
    active: bool,
    actor,
    format: str | None = None,
    team=None,
) -> Endpoint:
    """Create or change an endpoint from plain values. Disabling it drops what is still queued.

    The address must pass the target check (no private networks in production); the events are
    stored in the order of EVENT_TYPES (CHAT_EVENTS for Slack and Teams), so the list reads the
    same however it was ticked. A Slack or Teams endpoint may be limited to one team.
    """
    targets.check_url(url)
    fmt = format or endpoint.format or Endpoint.Format.KRINGLOOP
    known = CHAT_EVENTS if fmt in Endpoint.CHAT_FORMATS else EVENT_TYPES
    chosen = set(events)
    unknown = chosen - set(known)
    if unknown or not chosen:
        raise ValidationError({"events": _("Choose at least one event.") if not chosen else _("Unknown event.")})
    values = {
        "url": url,
        "description": description,
        "events": [name for name in known if name in chosen],
        "active": active,
        "format": fmt,
        "team": team if fmt in Endpoint.CHAT_FORMATS else None,
    }
    with transaction.atomic():
        created = endpoint.pk is None
        before = {} if created else _summary(Endpoint.objects.select_for_update().get(pk=endpoint.pk))
        for name, value in values.items():
            setattr(endpoint, name, value)
        if created:
            endpoint.created_by = actor if getattr(actor, "is_authenticated", False) else None
        endpoint.save()
        if not endpoint.active:
            _cancel_pending(endpoint)
        changed = sorted(
            name
            for name, value in values.items()
            if before.get(name) != (value.pk if name == "team" and value else value)
        )
        audit_log(
            actor=actor,
            action="webhook.created" if created else "webhook.updated",
            target=endpoint,
            data={**_summary(endpoint), **({} if created else {"changed": changed})},
        )
    return endpoint


def endpoint_set_active(*, endpoint: Endpoint, active: bool, actor) -> Endpoint:
    with transaction.atomic():
        Endpoint.objects.filter(pk=endpoint.pk).update(active=active, updated_at=timezone.now())
        endpoint.active = active
        if not active:
            _cancel_pending(endpoint)
        audit_log(actor=actor, action="webhook.enabled" if active else "webhook.disabled", target=endpoint)
    return endpoint


def endpoint_delete(*, endpoint: Endpoint, actor) -> None:
    """Delete an endpoint with its delivery log (the audit log keeps what it was)."""
    with transaction.atomic():
        audit_log(
            actor=actor,
            action="webhook.deleted",
            target=endpoint,
            data={**_summary(endpoint), "deliveries": endpoint.deliveries.count()},
        )
        endpoint.delete()


def endpoint_rotate_secret(*, endpoint: Endpoint, actor) -> Endpoint:
    """A new signing secret. The old one keeps signing (a second v1 in the header) for a day, so
    receivers can switch without losing events."""
    now = timezone.now()
    with transaction.atomic():
        locked = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
        locked.previous_secret, locked.previous_secret_expires_at = locked.secret, now + PREVIOUS_SECRET_VALID
        locked.secret, locked.secret_rotated_at = new_secret(), now
        locked.save(
            update_fields=["secret", "previous_secret", "previous_secret_expires_at", "secret_rotated_at", "updated_at"]
        )
        audit_log(
            actor=actor,
            action="webhook.secret_rotated",
            target=locked,
            data={"previous_valid_until": locked.previous_secret_expires_at.isoformat()},
        )
    return locked


def endpoint_ping(*, endpoint: Endpoint, actor) -> Delivery:
    """Queue a `ping` event to the endpoint (also when it is disabled, to test it first)."""
    data = {
        "message": "Test ping from Kringloop.",
        "endpoint": {"id": endpoint.pk, "url": endpoint.url},
        "requested_by": actor.get_username() if getattr(actor, "is_authenticated", False) else None,
    }
    with transaction.atomic():
        [delivery] = deliveries_create(endpoint_ids=[endpoint.pk], event=PING, data=data)
        audit_log(actor=actor, action="webhook.pinged", target=endpoint, data={"delivery": str(delivery.pk)})
    return delivery


def delivery_resend(*, delivery: Delivery, actor) -> Delivery:
    """Send a delivery once more, now, with the same body and id (receivers de-duplicate on the id).

    A delivery still waiting for a retry just has it brought forward; a finished one (delivered,
    failed or cancelled) gets one extra attempt.
    """
    with transaction.atomic():
        locked = Delivery.objects.select_for_update().select_related("endpoint").get(pk=delivery.pk)
        if not locked.endpoint.active and locked.event != PING:
            raise ValidationError(_("The endpoint is disabled: enable it before re-sending."))
        changes = {"next_attempt_at": timezone.now(), "status": Delivery.Status.PENDING, "updated_at": timezone.now()}
        if locked.status != Delivery.Status.PENDING:
            changes["max_attempts"] = F("attempts") + 1
        Delivery.objects.filter(pk=locked.pk).update(**changes)
        audit_log(
            actor=actor,
            action="webhook.resent",
            target=locked.endpoint,
            data={"delivery": str(locked.pk), "event": locked.event, "was": locked.status},
        )
        enqueue_on_commit(DELIVER_TASK, str(locked.pk))
    locked.refresh_from_db()
    return locked
