"""Celery tasks of the themes: thin wrappers."""

from celery import shared_task
from django.db import OperationalError

from themes import assign, discovery

RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "max_retries": 8,
    "acks_late": True,
}


@shared_task(**RETRY)
def analyse_comments(response_ids: list[int]) -> int:
    """Queued by the answer-processing path (followups.processing) for answers with a new or
    changed comment: their language and themes."""
    return assign.analyse_responses(response_ids=response_ids)


@shared_task(acks_late=True)
def nightly_themes() -> dict:
    """Beat, nightly: read every comment not read under the current themes (incrementally), then
    propose new themes from the comments no theme covers."""
    read = assign.analyse_pending()
    proposals = discovery.discover()
    return {"read": read, "proposals": len(proposals)}
