"""The events other apps emit, and turning one into a delivery per subscribed endpoint.

Services call `emit(event, record)` inside their own transaction, after the change it reports:
the delivery rows are written in that same transaction (so an event exists exactly when the change
committed, and a rolled-back change sends nothing), and the sending is enqueued on commit. With
no endpoint subscribed, `emit` costs one query on the small endpoint table.
"""

import json
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.queue import enqueue_on_commit
from webhooks import chat, payloads
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


# Which chat event an emitted event is for Slack and Teams endpoints, and when.
CHAT_FOR = {
    "followup.created": ("followup.detractor", lambda record: record.category == "detractor"),
    "followup.escalated": ("followup.escalated", None),
    "followup.replied": ("followup.replied", None),
    "improvement.shipped": ("improvement.shipped", None),
}


@dataclass(frozen=True)
class Subscriber:
    pk: int
    format: str
    team_id: int | None
    language: str
    events: tuple

    def wants(self, event: str, record=None, *, team_id=None) -> str | None:
        """The event name this endpoint gets `event` about `record` under, or None."""
        if self.format == Endpoint.Format.KRINGLOOP:
            return event if event in self.events or event == PING else None
        if event == PING:
            return PING
        name, condition = CHAT_FOR.get(event, (event, None))
        if name not in self.events or (condition is not None and not condition(record)):
            return None
        if record is None and event == "summary.weekly":  # a team's summary to its channel; "every team": the whole
            return name if self.team_id == team_id else None
        team = getattr(record, "team_id", None) if record is not None else team_id
        return name if self.team_id is None or self.team_id == team else None


def subscribers(*, endpoint_ids=None, active_only: bool = True) -> list[Subscriber]:
    """The endpoints with what decides their deliveries. One query; the table holds a handful of
    rows (filtered here rather than in SQL because SQLite, used by the demo, has no JSON containment)."""
    endpoints = Endpoint.objects.all()
    if active_only:
        endpoints = endpoints.filter(active=True)
    if endpoint_ids is not None:
        endpoints = endpoints.filter(pk__in=list(endpoint_ids))
    return [
        Subscriber(pk, fmt, team_id, language or settings.LANGUAGE_CODE, tuple(events))
        for pk, fmt, team_id, language, events in endpoints.values_list(
            "pk", "format", "team_id", "team__language", "events"
        )
    ]


def subscribed_endpoints(*events: str) -> list[int]:
    """Ids of the active endpoints that want any of `events` (any record, any team)."""
    return [
        sub.pk
        for sub in subscribers()
        if any(event in sub.events or CHAT_FOR.get(event, ("",))[0] in sub.events for event in events)
    ]


def body_for(delivery: Delivery, data: dict, subscriber: Subscriber | None = None) -> str:
    if subscriber is not None and subscriber.format in Endpoint.CHAT_FORMATS:
        envelope = chat.message(subscriber.format, delivery.event, data, subscriber.language)
    else:
        envelope = {"id": str(delivery.pk), "type": delivery.event, "created": delivery.created_at, "data": data}
    return json.dumps(envelope, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def deliveries_create(
    *, endpoint_ids: list[int], event: str, data: dict, contact_id: int | None = None
) -> list[Delivery]:
    """A pending delivery per endpoint (any state: a ping tests a disabled one too), sent after
    the surrounding transaction commits; each in its endpoint's format."""
    now = timezone.now()
    deliveries = []
    for subscriber in subscribers(endpoint_ids=endpoint_ids, active_only=False):
        deliveries.append(_unsaved(subscriber, event, data, contact_id, now))
    return _save(deliveries)


def _unsaved(subscriber: Subscriber, event: str, data: dict, contact_id: int | None, now, key: str = "") -> Delivery:
    delivery = Delivery(
        endpoint_id=subscriber.pk, event=event, next_attempt_at=now, created_at=now, contact_id=contact_id, key=key
    )
    delivery.body = body_for(delivery, data, subscriber)
    return delivery


def _save(deliveries: list[Delivery], *, keyed: bool = False) -> list[Delivery]:
    if not deliveries:
        return []
    Delivery.objects.bulk_create(deliveries, ignore_conflicts=keyed)
    if keyed:  # those already there for their key were not inserted: only the new ones go out
        new = set(Delivery.objects.filter(pk__in=[d.pk for d in deliveries]).values_list("pk", flat=True))
        deliveries = [delivery for delivery in deliveries if delivery.pk in new]
    for delivery in deliveries:
        enqueue_on_commit(DELIVER_TASK, str(delivery.pk))
    return deliveries


def emit(event: str, record, *, extra: dict | None = None) -> int:
    """Record `event` about `record` for every subscribed endpoint; returns how many deliveries.
    `extra` adds objects beside the record's in `data` (the customer's e-mail of followup.replied).

    A failure here is logged and swallowed (inside a savepoint): a broken webhook must never undo
    the answer, case or improvement it reports on.
    """
    return emit_many(event, [record], extra=extra)


def emit_many(event: str, records: list, *, extra: dict | None = None) -> int:
    """`emit` for many records of one kind at once (a batch of answers or cases): one query for the
    subscribers and one INSERT for all the deliveries, whatever the number of records. Slack and
    Teams endpoints get the events they chose about their team, as a message (webhooks.chat)."""
    if not records:
        return 0
    key, build = DATA[event]
    chat_name = CHAT_FOR.get(event, ("",))[0]
    endpoints = [sub for sub in subscribers() if event in sub.events or chat_name in sub.events]
    if not endpoints:
        return 0
    try:
        with transaction.atomic():
            now = timezone.now()
            deliveries = []
            for record in records:
                data = None
                for subscriber in endpoints:
                    name = subscriber.wants(event, record)
                    if name is None:
                        continue
                    data = data if data is not None else {key: build(record), **(extra or {})}
                    deliveries.append(_unsaved(subscriber, name, data, getattr(record, "contact_id", None), now))
            return len(_save(deliveries))
    except Exception:
        logger.exception("Could not record webhook event %s for %r.", event, records)
        return 0


def emit_scheduled(event: str, *, key: str, data: dict, team_id: int | None = None) -> int:
    """A chat event made by a schedule (the weekly summary, the daily kudos): one delivery per
    subscribed endpoint and `key`, however often the schedule runs. Returns how many are new."""
    endpoints = [sub for sub in subscribers() if sub.format in Endpoint.CHAT_FORMATS]
    now = timezone.now()
    with transaction.atomic():
        deliveries = [
            _unsaved(sub, event, data, None, now, key=f"{event}:{key}"[:200])
            for sub in endpoints
            if sub.wants(event, team_id=team_id)
        ]
        return len(_save(deliveries, keyed=True)) if deliveries else 0


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
