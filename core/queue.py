"""Enqueue Celery tasks after the surrounding transaction commits, without ever failing the request.

If the broker is down when the transaction commits, the task is not sent; the work is then found
by the periodic sweeps (each side effect has a "not yet done" marker in the database, e.g.
Response.processed_at). The caller's data is already committed, so nothing is lost.

`single_flight` keeps a periodic sweep from running twice at once.
"""

import logging
import uuid
from contextlib import contextmanager

from celery import current_app
from django.core.cache import cache
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


def queue_depth(queue: str) -> int | None:
    """How many messages wait in the broker's `queue` (reserved ones not counted); None when the
    broker cannot say (unreachable, or a transport without counts)."""
    try:
        with current_app.connection_for_write() as connection:
            return connection.default_channel.queue_declare(queue=queue, passive=True).message_count
    except Exception:
        logger.warning("Could not read the length of queue %s.", queue, exc_info=True)
        return None


def enqueue_on_commit(name: str, *args, **options) -> None:
    transaction.on_commit(lambda: send_task_now(name, *args, **options))


@contextmanager
def single_flight(name: str, *, seconds: int):
    """Yield True for the one caller that may run the periodic job `name` now, False while another
    run still holds it: a sweep that takes longer than its interval is not started again beside
    itself, on another worker process, doing the same work twice (each run is idempotent, so the
    only harm is the work). The hold is a cache key that expires after `seconds` (longer than the
    job's time budget), so a worker killed mid-run holds nothing for longer. Without a working cache
    it yields True: the job runs, as it would without the guard."""
    key, token = f"single-flight:{name}", uuid.uuid4().hex
    try:
        mine = cache.add(key, token, seconds)
    except Exception:
        logger.warning("Cache unavailable: %s runs without its single-flight guard.", name, exc_info=True)
        yield True
        return
    try:
        yield mine
    finally:
        if mine:
            try:
                if cache.get(key) == token:  # not if it expired and another run holds it now
                    cache.delete(key)
            except Exception:
                pass  # it expires on its own
