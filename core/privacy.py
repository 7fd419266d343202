"""Data-subject requests: export everything Kringloop holds about a person, and erase it.

No app holds all of it (surveys: the contact, its invitations and answers; followups: cases and
notices; webhooks: the payloads sent; core: the mail ledger), and a lower app may not import a
higher one. So each app registers its own part here from its AppConfig.ready(), and `export()`
and `erase()` run every part: an app that starts storing personal data adds a part, and nothing
else changes. The views call these two functions.

The person (the "subject") is a model instance with an `erased_at` field: surveys' Contact.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from core.audit import audit_log
from core.mail import forget_address


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


def _erase_mail(subject) -> None:
    """core's part: the outbox copies go, the mail ledger keeps its rows under a dead address."""
    forget_address(subject.email, replacement=f"erased-{subject.pk}@invalid")


def register_core_part() -> None:
    register("core", erase=_erase_mail)
