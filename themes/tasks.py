"""Celery tasks of the themes: thin wrappers."""

import logging

from celery import shared_task
from django.db import DatabaseError, OperationalError

from themes import assign, discovery

RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "max_retries": 8,
    "acks_late": True,
}
logger = logging.getLogger(__name__)


@shared_task(**RETRY)
def analyse_comments(response_ids: list[int]) -> int:
    """Queued by the answer-processing path (followups.processing) for answers with a new or
    changed comment: their language and themes."""
    return assign.analyse_responses(response_ids=response_ids)


@shared_task(acks_late=True)
def nightly_themes() -> dict:
    """Beat, nightly: read every comment not read under the current themes (incrementally), count
    the reports' daily rollup again whole (it heals anything out of step), then propose new themes
    from the comments no theme covers."""
    read = assign.analyse_pending()
    try:
        assign.count_theme_days()
    except DatabaseError:  # the rollup stays as the writers keep it; tomorrow's pass counts again
        logger.exception("counting the themes' daily rollup failed")
    proposals = discovery.discover()
    return {"read": read, "proposals": len(proposals)}
