"""Sending deliveries: one HTTP attempt at a time, retried with backoff, at least once.

The worker claims a due delivery with a conditional UPDATE (a lease, so no transaction stays open
during the request and a killed worker's claim expires), posts the stored body with fresh
signature headers, logs the attempt and decides: delivered (any 2xx), retry later (network
error, timeout, 5xx, 408, 429), or failed (anything else, or the attempts are used up). A task
that runs twice, or late, finds nothing to claim and does nothing. Receivers should still treat
the `Kringloop-Delivery` id as an idempotency key: a worker killed between the receiver's answer
and our log line sends that delivery again.
"""

import logging
import random
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import requests.certs
import urllib3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core.queue import queue_depth, send_task_now
from webhooks import signing, targets
from webhooks.events import DELIVER_TASK, PING
from webhooks.models import Delivery, DeliveryAttempt, Endpoint

logger = logging.getLogger(__name__)

# Seconds to wait after attempt 1, 2, … : 2, 4, 8, 16 and 32 minutes, so the sixth and last
# attempt goes out about an hour after the first. Each wait gets up to 10 % random extra, so
# deliveries that failed together during an outage do not all come back in the same second.
# The defaults of settings WEBHOOK_RETRY_DELAYS and WEBHOOK_TIMEOUT (make chaos shortens both).
RETRY_DELAYS = (120, 240, 480, 960, 1920)
RETRY_AFTER_MAX = 3600  # a receiver's Retry-After is honoured up to an hour
TIMEOUT = 10  # seconds to connect, and between bytes of the answer
LEASE = timedelta(seconds=60)  # longer than any attempt can take
EARLY = timedelta(seconds=5)  # a retry may arrive this much before its time (clock differences)
# A due delivery nobody took by then lost its task (a Redis restart; a killed worker that held its
# retry). Half a minute, like the answers' sweep, which also runs every 15 s: make chaos found a lost
# retry (5 s in its schedule) waiting 286 s with two minutes, 120 s with one. Under a backlog it
# queues a delivery again that was only waiting its turn, once per SWEEP_AFTER at most (the sweep
# moves its next_attempt_at); the claim (_claim, one UPDATE) makes that copy do nothing, so no
# receiver is ever called twice for one attempt.
SWEEP_AFTER = timedelta(seconds=30)
KEEP_LOG = timedelta(days=30)
EXCERPT_CHARS = 200  # of a public receiver's answer; nothing of a private one's (it may be an internal service)
READ_BYTES = 64 * 1024
USER_AGENT = "Kringloop-Webhooks/1"


@dataclass
class Outcome:
    attempted: bool
    retry_in: int | None = None  # seconds until the task should run again


def retry_delay(attempt: int, retry_after: str | None = None) -> int:
    """Seconds before the attempt after `attempt` (1-based)."""
    delays = settings.KRINGLOOP.get("WEBHOOK_RETRY_DELAYS") or RETRY_DELAYS
    base = delays[min(attempt, len(delays)) - 1]
    delay = base + random.randint(0, base // 10)
    if retry_after and retry_after.strip().isdigit():
        delay = max(delay, min(int(retry_after.strip()), RETRY_AFTER_MAX))
    return delay


def retryable(status_code: int | None) -> bool:
    """No answer at all (network error, timeout), a server error, or "too many requests"."""
    return status_code is None or status_code >= 500 or status_code in (408, 429)


def signing_secrets(endpoint: Endpoint, now) -> list[str]:
    keep_previous = (
        endpoint.previous_secret and endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > now
    )
    return [endpoint.secret, endpoint.previous_secret] if keep_previous else [endpoint.secret]


def request_headers(delivery: Delivery, endpoint: Endpoint, *, attempt: int, now) -> dict:
    body = delivery.body.encode()
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Kringloop-Event": delivery.event,
        "Kringloop-Delivery": str(delivery.pk),
        "Kringloop-Attempt": str(attempt),
        signing.HEADER: signing.signature_header(signing_secrets(endpoint, now), body, int(now.timestamp())),
    }


@dataclass
class Answer:
    status_code: int | None = None
    excerpt: str = ""
    error: str = ""
    retry_after: str | None = None
    refused: bool = False  # the target is not allowed: trying again will not help


def excerpt(address, text: str) -> str:
    """What the log keeps of an answer's body: 200 characters from a public address, nothing
    from a private one (outside production an admin could otherwise read internal services)."""
    return text[:EXCERPT_CHARS] if targets.is_public(address) else ""


def _pool(url: str, address):
    """A connection pool to the checked `address` itself: the name in `url` is sent only as the
    Host header and the TLS server name (and the certificate must match it), never resolved again."""
    parts = urlsplit(url)
    seconds = settings.KRINGLOOP.get("WEBHOOK_TIMEOUT") or TIMEOUT
    timeout = urllib3.Timeout(connect=seconds, read=seconds)
    if parts.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            str(address),
            parts.port or 443,
            timeout=timeout,
            retries=False,
            server_hostname=parts.hostname,
            assert_hostname=parts.hostname,
            cert_reqs="CERT_REQUIRED",
            ca_certs=requests.certs.where(),
        )
    return urllib3.HTTPConnectionPool(str(address), parts.port or 80, timeout=timeout, retries=False)


def _target(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _host_header(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{parts.port}" if parts.port else host


def post(url: str, body: bytes, headers: dict) -> Answer:
    """One POST to the address that was checked (no second DNS lookup, so no DNS rebinding);
    never raises for anything the receiver or the network does."""
    try:
        addresses = targets.checked_addresses(url)
    except ValidationError as error:
        if any(e.code == "dns" for e in error.error_list):
            return Answer(error=f"Not resolved: {' '.join(error.messages)}")
        return Answer(error=f"Refused: {' '.join(error.messages)}", refused=True)
    error = None
    for address in addresses:  # each checked address in turn, as a browser would (localhost: ::1, then 127.0.0.1)
        try:
            return _post_to(address, url, body, headers)
        except urllib3.exceptions.NewConnectionError as refused:  # nothing sent yet: the next address may answer
            error = refused
        except (urllib3.exceptions.HTTPError, OSError, ValueError) as failed:
            return Answer(error=f"{type(failed).__name__}: {failed}"[:500])
    return Answer(error=f"{type(error).__name__}: {error}"[:500])


def _post_to(address, url: str, body: bytes, headers: dict) -> Answer:
    with _pool(url, address) as pool:
        answer = pool.urlopen(
            "POST",
            _target(url),
            body=body,
            headers={**headers, "Host": _host_header(url)},
            redirect=False,
            retries=False,
            preload_content=False,
        )
        try:
            raw = answer.read(READ_BYTES, decode_content=True) or b""
        finally:
            answer.release_conn()
        return Answer(
            status_code=answer.status,
            excerpt=excerpt(address, raw.decode("utf-8", errors="replace")),
            retry_after=answer.headers.get("Retry-After"),
        )


def _cancel_if_endpoint_inactive(delivery_id) -> None:
    """Events for a disabled endpoint are dropped; pings (an admin's explicit test) still go."""
    (
        Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING, endpoint__active=False)
        .exclude(event=PING)
        .update(
            status=Delivery.Status.CANCELLED,
            next_attempt_at=None,
            last_error="The endpoint was disabled.",
            updated_at=timezone.now(),
        )
    )


def _claim(delivery_id, now) -> Delivery | None:
    claimed = (
        Delivery.objects.filter(
            pk=delivery_id,
            status=Delivery.Status.PENDING,
            next_attempt_at__lte=now + EARLY,
            attempts__lt=F("max_attempts"),
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + LEASE, attempts=F("attempts") + 1)
    )
    if not claimed:
        return None
    return Delivery.objects.select_related("endpoint").get(pk=delivery_id)


def delivery_attempt(*, delivery_id) -> Outcome:
    """Make the next attempt of a delivery if one is due; safe to call any number of times."""
    _cancel_if_endpoint_inactive(delivery_id)
    delivery = _claim(delivery_id, timezone.now())
    if delivery is None:
        return Outcome(attempted=False)
    endpoint, number = delivery.endpoint, delivery.attempts
    started = timezone.now()
    headers = request_headers(delivery, endpoint, attempt=number, now=started)
    clock = time.monotonic()
    answer = post(endpoint.url, delivery.body.encode(), headers)
    duration_ms = round((time.monotonic() - clock) * 1000)
    finished = timezone.now()

    ok = answer.status_code is not None and 200 <= answer.status_code < 300
    retry_in = None
    if ok:
        status = Delivery.Status.DELIVERED
    elif not answer.refused and retryable(answer.status_code) and number < delivery.max_attempts:
        status, retry_in = Delivery.Status.PENDING, retry_delay(number, answer.retry_after)
    else:
        status = Delivery.Status.FAILED
    retry_at = finished + timedelta(seconds=retry_in) if retry_in is not None else None
    error = answer.error or ("" if ok or answer.status_code is None else f"HTTP {answer.status_code}")
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            delivery=delivery,
            number=number,
            url=endpoint.url,
            request_headers=headers,
            status_code=answer.status_code,
            response_excerpt=answer.excerpt,
            error=error,
            duration_ms=duration_ms,
            started_at=started,
            retry_at=retry_at,
        )
        changes = {
            "status": status,
            "claimed_until": None,
            "next_attempt_at": retry_at,
            "last_status_code": answer.status_code,
            "last_error": error[:500],
            "updated_at": finished,
        }
        if ok:
            changes["delivered_at"] = finished
        Delivery.objects.filter(pk=delivery.pk).update(**changes)
    return Outcome(attempted=True, retry_in=retry_in)


def _deliver_queue() -> str:
    """The broker queue the delivery task is routed to (settings: `webhooks`)."""
    route = getattr(settings, "CELERY_TASK_ROUTES", {}).get(DELIVER_TASK) or {}
    return route.get("queue") or settings.CELERY_TASK_DEFAULT_QUEUE


def deliveries_sweep(*, now=None, limit: int = 500) -> int:
    """Queue again the due deliveries whose task was lost (a broker restart, a killed worker), and
    forget deliveries older than KEEP_LOG. Bounded per run; idempotent like the task it queues."""
    now = now or timezone.now()
    # A delivery due for SWEEP_AFTER may only be waiting its turn behind a backlog: queued again, it
    # is a second message (which its claim makes do nothing, but a task still). Every 15 s under a
    # backlog of thousands that added messages faster than the workers took them (make chaos). So the
    # sweep tops the queue up to `limit` waiting messages at most: after a Redis restart (an empty
    # queue) it queues again everything lost; behind a long backlog it waits for the queue to drain.
    waiting = queue_depth(_deliver_queue()) or 0
    lost = list(
        Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lt=now - SWEEP_AFTER)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[: max(0, limit - waiting)]
    )
    # Moved to now, so a backlog that keeps the task from running is queued again only every SWEEP_AFTER.
    Delivery.objects.filter(pk__in=lost, status=Delivery.Status.PENDING).update(next_attempt_at=now)
    for delivery_id in lost:
        send_task_now(DELIVER_TASK, str(delivery_id))
    old = Delivery.objects.filter(created_at__lt=now - KEEP_LOG).exclude(status=Delivery.Status.PENDING)
    Delivery.objects.filter(pk__in=list(old.values_list("pk", flat=True)[: limit * 2])).delete()
    return len(lost)
