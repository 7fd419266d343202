"""Handing new answers from the web to the worker, cheaply and in batches.

A Celery message costs the web request about a millisecond of CPU to build and publish; at
hundreds of answers a second that is a third of the answer POST. So the answer request only
appends the new response's id to a Redis list (one RPUSH on a connection the process keeps),
and a dispatcher thread inside every Celery worker (`config.celery.AnswerDispatcher`) pops the
ids in batches and publishes one task per batch.

Nothing depends on this hand-off for correctness: a response whose id is lost (Redis down, a
worker killed between pop and publish) still has processed_at NULL and is found by the
periodic sweep. Without Redis (the SQLite demo) the id goes straight to a per-answer Celery
task instead.

Which tasks process the answers is not core's business: the app that processes them names them
with `set_consumer()` from its AppConfig.ready() (followups does). Until one does, hand_off()
leaves the answer to that app's sweep.
"""

import logging
import threading

import redis
from celery import current_app
from django.conf import settings
from django.db import transaction

from core.queue import enqueue_on_commit, send_task_now

logger = logging.getLogger(__name__)

KEY = "kringloop:answers"
BATCH = 250  # ids per task: each costs the worker ~20 ms of statements and set-up whatever its length

_local = threading.local()
# The registered names of the tasks that process one answer id and a list of them (set_consumer).
_consumer: dict[str, str] = {}


def set_consumer(*, one: str, batch: str) -> None:
    """Name the tasks that process handed-off answers: `one` takes a response id, `batch` a list."""
    _consumer.update(one=one, batch=batch)


def consumer() -> dict[str, str]:
    """The registered task names ({"one": ..., "batch": ...}); empty while no app has set them."""
    return dict(_consumer)


def _client():
    """This thread's Redis client: connection kept, short timeouts so an outage never stalls a request."""
    client = getattr(_local, "client", None)
    if client is None:
        client = _local.client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=0.5, socket_timeout=2, health_check_interval=30
        )
    return client


def enabled() -> bool:
    return bool(settings.REDIS_URL) and settings.KRINGLOOP["ANSWER_HANDOFF"]


def hand_off(response_id: int) -> bool:
    """Queue a committed response for processing. Never raises: the sweep is the safety net."""
    if not _consumer:
        logger.warning("No app processes handed-off answers; response %s waits for the sweep.", response_id)
        return False
    if not enabled():
        return send_task_now(_consumer["one"], response_id)
    try:
        _client().rpush(KEY, response_id)
        return True
    except Exception:
        _local.client = None
        logger.warning(
            "Could not hand off response %s; the periodic sweep will process it.", response_id, exc_info=True
        )
        return False


def process_again(response_id: int) -> None:
    """Have a changed answer (a "why" added, a score changed) processed again once the transaction
    commits: handed off like a new answer, so the worker takes the changes of many respondents in one
    batch (half of them add their "why": one task each cost the worker as much as the answers
    themselves); without the hand-off, one task."""
    if not _consumer:
        logger.warning("No app processes answers; changed response %s waits for the sweep.", response_id)
    elif enabled():
        transaction.on_commit(lambda: hand_off(response_id))
    else:
        enqueue_on_commit(_consumer["one"], response_id)


def take(
    *, limit: int = 500, wait: float = 1.0, gather: float = 0.0, stop: threading.Event | None = None, client=None
) -> list[int]:
    """Up to `limit` handed-off ids, waiting at most `wait` seconds for the first one and then
    `gather` seconds for the answers that follow it. A batch costs the worker a fixed number of
    statements and one task whatever its length, so during a burst of answers this turns many
    small batches into a few long ones; a lone answer waits `gather` longer (the follow-up budget
    is 2 s, README: Performance)."""
    client = client or _client()
    first = client.blpop([KEY], timeout=wait)
    if first is None:
        return []
    if gather > 0:
        (stop or threading.Event()).wait(gather)
    rest = client.lpop(KEY, limit - 1) or []
    return [int(first[1]), *(int(value) for value in rest)]


def dispatch(ids: list[int], *, producer=None) -> int:
    """Publish the ids as batch tasks; returns how many ids were published."""
    published = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        if send_task_now(_consumer["batch"], chunk, producer=producer):
            published += len(chunk)
    return published


def dispatch_loop(stop: threading.Event, *, wait: float = 1.0, gather: float | None = None) -> None:
    """Run until `stop` is set: pop handed-off ids and publish them in batches. Survives Redis restarts.

    It publishes through a broker connection of its own, not the worker's (which its event loop owns)."""
    if not _consumer:
        logger.warning("No app processes handed-off answers; the dispatcher does not start.")
        return
    gather = settings.KRINGLOOP["ANSWER_GATHER_MS"] / 1000 if gather is None else gather
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=wait + 5)
    with current_app.connection_for_write() as connection:
        producer = current_app.amqp.Producer(connection, auto_declare=False)
        while not stop.is_set():
            try:
                ids = take(wait=wait, gather=gather, stop=stop, client=client)
            except redis.RedisError:
                logger.warning("Answer dispatcher cannot reach Redis; retrying.", exc_info=True)
                stop.wait(1.0)
                continue
            if ids:
                dispatch(ids, producer=producer)
