"""Reads on a PostgreSQL streaming replica, when DATABASE_REPLICA_URL names one.

What reads there: the pages and API calls that only report, each marked with `replica_reads`
(a decorator for views, a context manager for anything else): the dashboard and its panels and
CSVs, the comments page, the exports and the API's read endpoints. Everything else stays on the
primary: every write, the answer flow, a case page after an action (it must see what was just
done), the rollup refresh, sign-in and sessions (`REPLICA_READ_APPS` lists the apps whose models
may be read from the replica; auth, sessions and 2FA are not among them, so a user who has just
signed in is never unknown on the replica).

The replica is used only while it answers and lags less than REPLICA_MAX_LAG_S seconds behind the
primary. Each process checks that at most every REPLICA_CHECK_S seconds (one small query); when it
fails, reads fall back to the primary and `/healthz` says why (`replica_status()`).

Django's router hooks this in (settings.DATABASE_ROUTERS); with no replica configured it does
nothing.
"""

import functools
import logging
import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)

REPLICA = "replica"
_reading: ContextVar[bool] = ContextVar("kringloop_replica_reads", default=False)

# The replica's lag in seconds: 0 when it has replayed everything it received, else the age of the
# last transaction it replayed (an idle primary sends nothing new, so age alone would be misleading).
# That age overstates the lag just after a quiet spell: the first transaction to arrive reads as the
# whole spell behind until it is replayed, a moment later. So a replica that reads as lagging is asked
# again RECHECK_S later whether it has replayed what it had received; if so, it is that far behind.
_LAG_SQL = """
SELECT pg_is_in_recovery(),
       pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn(),
       pg_last_wal_receive_lsn()::text,
       COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)
"""
_REPLAYED_SQL = "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn"
RECHECK_S = 0.2


def configured() -> bool:
    return bool(settings.DATABASE_REPLICA_URL) and REPLICA in settings.DATABASES


@contextmanager
def replica_reads():
    """Inside the block, reads of REPLICA_READ_APPS' models go to the replica while it is usable."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def replica_reads_view(view):
    """A view whose reads may be served by the replica (it writes nothing the same request reads back)."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        with replica_reads():
            response = view(*args, **kwargs)
        if getattr(response, "streaming", False):  # a streamed export reads as it is sent, after the view
            response.streaming_content = _streamed_within(response.streaming_content)
        return response

    return wrapped


def _streamed_within(chunks):
    with replica_reads():
        yield from chunks


class ReplicaReadsMixin:
    """For API views (DRF): GET and HEAD requests read from the replica while it is usable."""

    def dispatch(self, request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return super().dispatch(request, *args, **kwargs)
        with replica_reads():
            return super().dispatch(request, *args, **kwargs)


class _Status:
    """The last check of the replica, shared by a process's threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.checked_at = None
        self.value = {"configured": False}

    def get(self) -> dict:
        if not configured():
            return {"configured": False}
        now = time.monotonic()
        with self.lock:
            if self.checked_at is None or now - self.checked_at >= settings.REPLICA_CHECK_S:
                self.value = _check()
                self.checked_at = now
            return self.value

    def forget(self) -> None:
        with self.lock:
            self.checked_at = None


_status = _Status()


def _check() -> dict:
    connection = connections[REPLICA]
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(_LAG_SQL)
                in_recovery, caught_up, received, age = cursor.fetchone()
                lag = 0.0 if caught_up else float(age)
                if in_recovery and lag > settings.REPLICA_MAX_LAG_S and received is not None:
                    time.sleep(RECHECK_S)
                    cursor.execute(_REPLAYED_SQL, [received])
                    if cursor.fetchone()[0]:
                        lag = RECHECK_S
            else:  # a test database mirrored under the replica's name: reachable is all it can say
                cursor.execute("SELECT 1")
                in_recovery, lag = True, 0.0
    except Exception as exc:  # the replica is down or unreachable: read from the primary
        connection.close()
        logger.warning("Replica unavailable; reading from the primary: %s", exc)
        return {"configured": True, "usable": False, "reason": "unreachable", "detail": str(exc)[:200]}
    lag = float(lag)
    if not in_recovery:
        return {"configured": True, "usable": False, "reason": "not a replica", "lag_seconds": 0.0}
    if lag > settings.REPLICA_MAX_LAG_S:
        logger.warning("Replica %.1f s behind (limit %s s); reading from the primary", lag, settings.REPLICA_MAX_LAG_S)
        return {"configured": True, "usable": False, "reason": "lagging", "lag_seconds": round(lag, 1)}
    return {"configured": True, "usable": True, "lag_seconds": round(lag, 1)}


def replica_status() -> dict:
    """What `/healthz` reports: whether a replica is configured, used, and how far behind it is."""
    return dict(_status.get())


def forget_replica_status() -> None:
    """Check the replica again on the next read (tests; after a failover)."""
    _status.forget()


class ReplicaRouter:
    """Routes marked reads to the replica while it is usable; everything else to the primary."""

    def db_for_read(self, model, **hints):
        if _reading.get() and model._meta.app_label in settings.REPLICA_READ_APPS and _status.get().get("usable"):
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return None

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA
