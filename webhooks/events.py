"""The events other apps emit, and turning one into a delivery per subscribed endpoint.

Services call `emit(event, record)` inside their own transaction, after the change it reports:
the delivery rows are written in that same transaction (so an event exists exactly when the change
committed, and a rolled-back change sends nothing), and the sending is enqueued on commit. With
no endpoint subscribed, `emit` costs one query on the small endpoint table.
"""

import json
import logging

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.queue import enqueue_on_commit
from webhooks import payloads
from webhooks.models import Delivery, Endpoint

DELIVER_TASK = "webhooks.tasks.deliver"
PING = "ping"
EVENT_TYPES = {
    "response.created": _("A customer answered (score recorded)"),
    "followup.created": _("A follow-up case was opened"),
    "followup.escalated": _("An overdue follow-up case was escalated"),
    "followup.closed": _("A follow-up case was resolved or closed without contact"),
    "followup.replied": _("A customer answered a case by e-mail"),
    "improvement.shipped": _("An improvement was shipped"),
    "account.health_changed": _("An account's health label changed"),
    "account.churned": _("An account churned"),
}
# The data object of each event: {key: builder(record)}.
DATA = {
    "response.created": ("response", payloads.response_data),
    "followup.created": ("followup", payloads.followup_data),
    "followup.escalated": ("followup", payloads.followup_data),
    "followup.closed": ("followup", payloads.followup_data),
    "followup.replied": ("followup", payloads.followup_data),
    "improvement.shipped": ("improvement", payloads.improvement_data),
    "account.health_changed": ("account", payloads.account_data),
    "account.churned": ("account", payloads.account_data),
}
logger = logging.getLogger(__name__)


def subscribed_endpoints(*events: str) -> list[int]:
    """Ids of the active endpoints that want any of `events`. One query; the table holds a handful of
    rows (filtered here rather than in SQL because SQLite, used by the demo, has no JSON containment)."""
    return [
        pk
        for pk, wanted in Endpoint.objects.filter(active=True).values_list("pk", "events")
        if any(event in wanted for event in events)
    ]


def body_for(delivery: Delivery, data: dict) -> str:
    envelope = {"id": str(delivery.pk), "type": delivery.event, "created": delivery.created_at, "data": data}
    return json.dumps(envelope, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def deliveries_create(
    *, endpoint_ids: list[int], event: str, data: dict, contact_id: int | None = None
) -> list[Delivery]:
    """A pending delivery per endpoint, sent after the surrounding transaction commits."""
    return _save(_unsaved(endpoint_ids, event, data, contact_id, timezone.now()))


def _unsaved(endpoint_ids: list[int], event: str, data: dict, contact_id: int | None, now) -> list[Delivery]:
    deliveries = [
        Delivery(endpoint_id=pk, event=event, next_attempt_at=now, created_at=now, contact_id=contact_id)
        for pk in endpoint_ids
    ]
    for delivery in deliveries:
        delivery.body = body_for(delivery, data)
    return deliveries


def _save(deliveries: list[Delivery]) -> list[Delivery]:
    Delivery.objects.bulk_create(deliveries)
    for delivery in deliveries:
        enqueue_on_commit(DELIVER_TASK, str(delivery.pk))
    return deliveries


def emit(event: str, record) -> int:
    """Record `event` about `record` for every subscribed endpoint; returns how many deliveries.

    A failure here is logged and swallowed (inside a savepoint): a broken webhook must never undo
    the answer, case or improvement it reports on.
    """
    return emit_many(event, [record])


def emit_many(event: str, records: list) -> int:
    """`emit` for many records of one kind at once (a batch of answers or cases): one query for the
    subscribers and one INSERT for all the deliveries, whatever the number of records."""
    if not records:
        return 0
    key, build = DATA[event]
    endpoint_ids = subscribed_endpoints(event)
    if not endpoint_ids:
        return 0
    try:
        with transaction.atomic():
            now = timezone.now()
            deliveries = [
                delivery
                for record in records
                for delivery in _unsaved(
                    endpoint_ids, event, {key: build(record)}, getattr(record, "contact_id", None), now
                )
            ]
            return len(_save(deliveries))
    except Exception:
        logger.exception("Could not record webhook event %s for %r.", event, records)
        return 0


def deliveries_naming_contact(*, contact_id: int) -> list[dict]:
    """For the privacy export: the deliveries whose payload names the contact, where they went."""
    return [
        {"event": d.event, "to": d.endpoint.url, "status": d.status, "created_at": d.created_at.isoformat()}
        for d in Delivery.objects.filter(contact_id=contact_id).select_related("endpoint").order_by("created_at")
    ]


def deliveries_forget_contact(*, contact_id: int) -> int:
    """Privacy erasure: drop every delivery whose payload names the contact (sent or not: personal
    data must not leave after erasure). Returns how many."""
    return Delivery.objects.filter(contact_id=contact_id).delete()[1].get(Delivery._meta.label, 0)
