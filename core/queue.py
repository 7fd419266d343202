"""Enqueue Celery tasks after the surrounding transaction commits, without ever failing the request.

If the broker is down when the transaction commits, the task is not sent; the work is then found
by the periodic sweeps (each side effect has a "not yet done" marker in the database, e.g.
Response.processed_at). The caller's data is already committed, so nothing is lost.
"""

import logging

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def send_task_now(name: str, *args, **options) -> bool:
    """Publish task `name` (by its registered name, so apps need not import each other's tasks)."""
    try:
        current_app.send_task(name, args=list(args), **options)
        return True
    except Exception:  # broker unreachable: the sweep will pick the work up
        logger.warning("Could not enqueue %s%r; the periodic sweep will retry it.", name, args, exc_info=True)
        return False


def enqueue_on_commit(name: str, *args, **options) -> None:
    transaction.on_commit(lambda: send_task_now(name, *args, **options))
