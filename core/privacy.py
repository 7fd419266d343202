"""Data-subject requests: export everything Kringloop holds about a person, and erase it.

No app holds all of it (surveys: the contact, its invitations and answers; followups: cases and
notices; webhooks: the payloads sent; core: the mail ledger), and a lower app may not import a
higher one. So each app registers its own part here from its AppConfig.ready(), and `export()`
and `erase()` run every part: an app that starts storing personal data adds a part, and nothing
else changes. The views call these two functions.

The person (the "subject") is a model instance with an `erased_at` field: surveys' Contact.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast

from core.audit import audit_log
from core.mail import forget_address
from core.models import AuditLog, EmailDelivery, OutboxMessage


@dataclass(frozen=True)
class Part:
    """One app's share of a data-subject request.

    export: subject -> {key: JSON-ready data}, merged into the export in registration order.
    erase: subject -> None, run inside the erasure's transaction in `order` (lower first); the
      subject's own fields are cleared last (order LAST), so every other part still sees them.
    """

    name: str
    export: Callable[[Any], dict] | None = None
    erase: Callable[[Any], None] | None = None
    order: int = 0


LAST = 100
_parts: dict[str, Part] = {}


def iso(value) -> str | None:
    """A date or time for an export (None stays None)."""
    return value.isoformat() if value else None


def register(name: str, *, export=None, erase=None, order: int = 0) -> None:
    """Add (or replace) the part called `name`; call it from your AppConfig.ready()."""
    _parts[name] = Part(name=name, export=export, erase=erase, order=order)


def unregister(name: str) -> None:
    _parts.pop(name, None)


def parts() -> list[Part]:
    """The registered parts, in registration order."""
    return list(_parts.values())


def export(subject, *, actor) -> dict:
    """Everything every part holds about `subject`, as JSON-ready data. Audit-logged."""
    data = {}
    for part in parts():
        if part.export is not None:
            data.update(part.export(subject))
    audit_log(actor=actor, action=f"{subject._meta.model_name}.exported", target=subject)
    return data


def erase(subject, *, actor):
    """Remove the subject's personal data through every part, in one transaction: all of it goes,
    or (when a part fails) none of it. Erasing an erased subject again changes nothing. Returns the
    subject as stored afterwards."""
    with transaction.atomic():
        subject = type(subject)._default_manager.select_for_update().get(pk=subject.pk)
        if subject.erased_at:
            return subject
        for part in sorted(parts(), key=lambda part: part.order):  # stable: registration order within an order
            if part.erase is not None:
                part.erase(subject)
        audit_log(actor=actor, action=f"{subject._meta.model_name}.erased", target=subject)
    return subject


def terms(subject) -> list[str]:
    """What identifies the subject in free text: their e-mail address, name and phone number."""
    found = [getattr(subject, name, "") or "" for name in ("email", "name", "phone")]
    return [term.strip() for term in found if len(term.strip()) >= 3]


def _mentions(fields: list[str], words: list[str]) -> Q:
    condition = Q()
    for field in fields:
        for word in words:
            condition |= Q(**{f"{field}__icontains": word})
    return condition


def _erase_mail(subject) -> None:
    """core's part for mail: the outbox copies to the subject go, and so do those to staff that
    mention them (owner alerts, escalation digests carry the name, address, company and comment);
    the mail ledger keeps its rows under a dead address."""
    forget_address(subject.email, replacement=f"erased-{subject.pk}@invalid")
    words = terms(subject)
    if words:
        OutboxMessage.objects.filter(_mentions(["to", "subject", "body_text", "body_html"], words)).delete()


def _scrub(value, words: list[str]):
    if isinstance(value, str):
        for word in words:
            value = re.sub(re.escape(word), "[erased]", value, flags=re.IGNORECASE)
        return value
    if isinstance(value, dict):
        return {key: _scrub(item, words) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, words) for item in value]
    return value


def _erase_audit(subject) -> None:
    """core's part for the audit log: entries about the subject (an export, an edit) keep what
    happened, when and by whom, but name the subject by id only; any other entry that mentions
    them has those words replaced."""
    label = f"{subject._meta.model_name} #{subject.pk}"
    AuditLog.objects.filter(target_type=subject._meta.label, target_id=str(subject.pk)).update(target_repr=label)
    words = terms(subject)
    if not words:
        return
    for entry in _audit_about(subject):
        entry.target_repr = _scrub(entry.target_repr, words)
        entry.data = _scrub(entry.data, words)
        entry.save(update_fields=["target_repr", "data"])


def _audit_about(subject):
    words = terms(subject)
    condition = Q(target_type=subject._meta.label, target_id=str(subject.pk))
    if words:
        condition |= _mentions(["target_repr", "data_text"], words)
    return AuditLog.objects.annotate(data_text=Cast("data", TextField())).filter(condition)


def _export_core(subject) -> dict:
    """Where core holds the subject: the mail ledger (e-mails sent to them), outbox copies that
    name them (to them, or to staff about them), and audit entries about or mentioning them."""
    words = terms(subject)
    outbox = (
        OutboxMessage.objects.filter(_mentions(["to", "subject", "body_text", "body_html"], words)) if words else []
    )
    return {
        "emails_sent": [
            {"kind": e.kind, "status": e.status, "created_at": iso(e.created_at), "sent_at": iso(e.sent_at)}
            for e in EmailDelivery.objects.filter(to__iexact=subject.email).order_by("created_at")
        ],
        "outbox_messages": [{"to": m.to, "subject": m.subject, "created_at": iso(m.created_at)} for m in outbox],
        "audit_entries": [
            {"action": a.action, "actor": a.actor_name, "at": iso(a.created_at), "data": a.data}
            for a in _audit_about(subject).order_by("created_at")
        ],
    }


def register_core_part() -> None:
    register("core", export=_export_core, erase=_erase_mail)
    register("core.audit", erase=_erase_audit)
