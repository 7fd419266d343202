"""Celery tasks of the scoring app: thin wrappers."""

from anymail.exceptions import AnymailAPIError
from celery import shared_task
from django.db import OperationalError

from scoring import digest, rollup


@shared_task(
    autoretry_for=(OperationalError, OSError, AnymailAPIError, digest.DigestsFailed),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=6,
    acks_late=True,
)
def send_weekly_digests() -> int:
    """Beat runs this hourly at :05; it sends only on Monday morning, once per recipient per week."""
    return digest.send_weekly_digests()


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3, acks_late=True)
def refresh_rollup() -> int:
    """Bring the dashboard rollups up to date ahead of readers (readers also refresh on their own)."""
    return rollup.refresh_rollup()
