"""Retention: personal data older than the admins' limits (RetentionSettings) is removed or
anonymised every night (the beat task core.tasks.retention_purge).

As with privacy requests, no app holds all of it and core imports none of them, so each app
registers its part from its AppConfig.ready(): a function (settings, now) -> how many rows it
removed or anonymised. core's own parts (the outbox, the audit log) are here. Each part works in
bounded batches, so a first run over years of data takes several nights rather than one long
transaction; the counts of the last run are kept on the settings row for the settings page.
"""

from collections.abc import Callable
from datetime import timedelta

from django.utils import timezone

from core.models import AuditLog, OutboxMessage, RetentionSettings

BATCH = 5000
_parts: dict[str, Callable] = {}


def register(name: str, purge: Callable[[RetentionSettings, object], int]) -> None:
    _parts[name] = purge


def cutoff(days: int | None, now):
    """The moment before which data is too old, or None when it is kept."""
    return None if days is None else now - timedelta(days=days)


def _outbox(settings: RetentionSettings, now) -> int:
    before = cutoff(settings.outbox_days, now)
    if before is None:
        return 0
    ids = list(OutboxMessage.objects.filter(created_at__lt=before).values_list("pk", flat=True)[:BATCH])
    return OutboxMessage.objects.filter(pk__in=ids).delete()[0]


def _audit(settings: RetentionSettings, now) -> int:
    before = cutoff(settings.audit_days, now)
    if before is None:
        return 0
    ids = list(AuditLog.objects.filter(created_at__lt=before).values_list("pk", flat=True)[:BATCH])
    return AuditLog.objects.filter(pk__in=ids).delete()[0]


register("outbox", _outbox)
register("audit", _audit)


def purge(*, now=None) -> dict[str, int]:
    """Run every part once; remember and return what each removed."""
    now = now or timezone.now()
    settings = RetentionSettings.current()
    removed = {name: part(settings, now) for name, part in _parts.items()}
    RetentionSettings.objects.filter(pk=settings.pk).update(last_run_at=now, last_removed=removed)
    return removed
