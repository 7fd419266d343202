"""Deliveries go out over real HTTP (a small server on 127.0.0.1), signed; failures are retried with
backoff on network errors, 5xx and 429 only; each attempt is logged; nothing is sent twice."""

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import FollowUpFactory
from tests.helpers import empty_broker, published_tasks, wait_for
from tests.webhooks_support import Receiver, make_endpoint
from webhooks import signing
from webhooks.delivery import RETRY_DELAYS, deliveries_sweep, delivery_attempt
from webhooks.events import emit
from webhooks.models import Delivery
from webhooks.services import delivery_resend, endpoint_ping, endpoint_rotate_secret, endpoint_set_active


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def endpoint(db, receiver):
    return make_endpoint(url=receiver.url, events=["followup.created", "followup.closed"])


def _emit(endpoint) -> Delivery:
    emit("followup.created", FollowUpFactory())
    return Delivery.objects.get(endpoint=endpoint)


def _due_now(delivery):
    """Let the clock reach the scheduled retry."""
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_the_receiver_gets_the_body_with_a_valid_signature(endpoint, receiver):
    delivery = _emit(endpoint)
    assert delivery_attempt(delivery_id=delivery.pk).attempted
    [request] = receiver.received
    assert request.path == "/hooks/kringloop"
    assert request.body == delivery.body.encode()
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Kringloop-Event"] == "followup.created"
    assert request.headers["Kringloop-Delivery"] == str(delivery.pk)
    assert signing.verify(endpoint.secret, request.body, request.headers["Kringloop-Signature"])
    assert not signing.verify("whsec_someone-else", request.body, request.headers["Kringloop-Signature"])
    assert json.loads(request.body)["data"]["followup"]["id"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert delivery.delivered_at and delivery.next_attempt_at is None and delivery.claimed_until is None
    [attempt] = delivery.attempt_log.all()
    # 127.0.0.1 is a private target: the log keeps its status, never its body (#20.13)
    assert attempt.status_code == 200 and attempt.response_excerpt == "" and attempt.error == ""
    assert attempt.request_headers["Kringloop-Signature"] == request.headers["Kringloop-Signature"]
    assert attempt.duration_ms >= 0 and attempt.retry_at is None


def test_a_delivered_event_is_not_sent_again_when_the_task_runs_twice(endpoint, receiver):
    delivery = _emit(endpoint)
    assert delivery_attempt(delivery_id=delivery.pk).attempted
    assert not delivery_attempt(delivery_id=delivery.pk).attempted
    _due_now(delivery)
    assert not delivery_attempt(delivery_id=delivery.pk).attempted  # delivered is final
    assert len(receiver.received) == 1


def test_a_server_error_is_retried_later_then_delivered(endpoint, receiver):
    receiver.statuses = [500, 200]
    delivery = _emit(endpoint)
    before = timezone.now()
    outcome = delivery_attempt(delivery_id=delivery.pk)
    assert RETRY_DELAYS[0] <= outcome.retry_in <= RETRY_DELAYS[0] * 1.1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert before + timedelta(seconds=RETRY_DELAYS[0]) <= delivery.next_attempt_at
    assert delivery.last_error == "HTTP 500"
    assert not delivery_attempt(delivery_id=delivery.pk).attempted  # too early: waits for its time
    _due_now(delivery)
    assert delivery_attempt(delivery_id=delivery.pk).retry_in is None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert [a.status_code for a in delivery.attempt_log.all()] == [500, 200]
    assert len(receiver.received) == 2
    assert [r.headers["Kringloop-Attempt"] for r in receiver.received] == ["1", "2"]
    assert receiver.received[0].body == receiver.received[1].body  # the same bytes each time


def test_backoff_doubles_for_six_attempts_then_gives_up(endpoint, receiver):
    receiver.statuses = [503]
    delivery = _emit(endpoint)
    waits = []
    for _ in range(6):
        _due_now(delivery)
        waits.append(delivery_attempt(delivery_id=delivery.pk).retry_in)
    assert waits[-1] is None
    for wait, base in zip(waits, (120, 240, 480, 960, 1920)):
        assert base <= wait <= base * 1.1
    assert sum(waits[:-1]) >= 3600 - 60  # about an hour from the first try to the last
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 6, None)
    _due_now(delivery)
    assert not delivery_attempt(delivery_id=delivery.pk).attempted
    assert len(receiver.received) == 6


@pytest.mark.parametrize("status", [400, 401, 404, 410, 301])
def test_a_refusal_is_not_retried(endpoint, receiver, status):
    receiver.statuses = [status]
    delivery = _emit(endpoint)
    assert delivery_attempt(delivery_id=delivery.pk).retry_in is None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_status_code, delivery.last_error) == ("failed", status, f"HTTP {status}")
    assert len(receiver.received) == 1


def test_too_many_requests_is_retried_no_sooner_than_retry_after(endpoint, receiver):
    receiver.statuses, receiver.extra_headers = [429], {"Retry-After": "900"}
    delivery = _emit(endpoint)
    assert delivery_attempt(delivery_id=delivery.pk).retry_in == 900
    delivery.refresh_from_db()
    assert delivery.status == "pending"


def test_a_network_error_is_retried(endpoint, receiver):
    delivery = _emit(endpoint)
    receiver.stop()  # nobody listens on that port any more
    outcome = delivery_attempt(delivery_id=delivery.pk)
    assert outcome.retry_in is not None
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.last_status_code is None
    assert "ConnectionError" in delivery.last_error
    receiver.start()  # a new port: the old address stays dead


def test_a_resend_makes_one_more_attempt_of_a_failed_delivery(endpoint, receiver, admin):
    receiver.statuses = [410, 200]
    delivery = _emit(endpoint)
    delivery_attempt(delivery_id=delivery.pk)
    delivery_resend(delivery=delivery, actor=admin)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.max_attempts) == ("pending", 2)
    assert delivery_attempt(delivery_id=delivery.pk).attempted
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert [r.headers["Kringloop-Delivery"] for r in receiver.received] == [str(delivery.pk)] * 2


def test_a_resend_of_a_delivered_event_sends_it_again_once(endpoint, receiver, admin):
    delivery = _emit(endpoint)
    delivery_attempt(delivery_id=delivery.pk)
    delivery_resend(delivery=delivery, actor=admin)
    assert delivery_attempt(delivery_id=delivery.pk).attempted
    assert not delivery_attempt(delivery_id=delivery.pk).attempted  # the task again: nothing
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert len(receiver.received) == 2


def test_a_failed_resend_is_not_retried(endpoint, receiver, admin):
    receiver.statuses = [500]
    delivery = _emit(endpoint)
    Delivery.objects.filter(pk=delivery.pk).update(status="failed", attempts=6)
    delivery_resend(delivery=delivery, actor=admin)
    assert delivery_attempt(delivery_id=delivery.pk).retry_in is None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 7)


def test_a_resend_while_waiting_for_a_retry_brings_it_forward(endpoint, receiver, admin):
    receiver.statuses = [500, 200]
    delivery = _emit(endpoint)
    delivery_attempt(delivery_id=delivery.pk)
    delivery_resend(delivery=delivery, actor=admin)
    assert delivery_attempt(delivery_id=delivery.pk).attempted  # no waiting
    delivery.refresh_from_db()
    assert (delivery.status, delivery.max_attempts) == ("delivered", 6)


def test_a_claimed_delivery_is_not_sent_by_a_second_worker(endpoint, receiver):
    delivery = _emit(endpoint)
    Delivery.objects.filter(pk=delivery.pk).update(claimed_until=timezone.now() + timedelta(seconds=30))
    assert not delivery_attempt(delivery_id=delivery.pk).attempted
    assert receiver.received == []


def test_events_for_a_disabled_endpoint_are_cancelled(endpoint, receiver, admin):
    delivery = _emit(endpoint)
    endpoint_set_active(endpoint=endpoint, active=False, actor=admin)
    assert not delivery_attempt(delivery_id=delivery.pk).attempted
    delivery.refresh_from_db()
    assert delivery.status == "cancelled" and receiver.received == []


def test_a_ping_reaches_a_disabled_endpoint(endpoint, receiver, admin):
    endpoint_set_active(endpoint=endpoint, active=False, actor=admin)
    delivery = endpoint_ping(endpoint=endpoint, actor=admin)
    assert delivery_attempt(delivery_id=delivery.pk).attempted
    [request] = receiver.received
    assert request.headers["Kringloop-Event"] == "ping"
    assert json.loads(request.body)["data"]["endpoint"] == {"id": endpoint.pk, "url": endpoint.url}


def test_after_a_rotation_both_secrets_sign_for_a_day(endpoint, receiver, admin):
    old_secret = endpoint.secret
    endpoint = endpoint_rotate_secret(endpoint=endpoint, actor=admin)
    assert endpoint.secret != old_secret and endpoint.secret.startswith("whsec_")
    delivery = _emit(endpoint)
    delivery_attempt(delivery_id=delivery.pk)
    header = receiver.received[0].headers["Kringloop-Signature"]
    assert header.count("v1=") == 2
    assert signing.verify(endpoint.secret, receiver.received[0].body, header)
    assert signing.verify(old_secret, receiver.received[0].body, header)
    endpoint.__class__.objects.filter(pk=endpoint.pk).update(previous_secret_expires_at=timezone.now())
    delivery_resend(delivery=delivery, actor=admin)
    delivery_attempt(delivery_id=delivery.pk)
    header = receiver.received[1].headers["Kringloop-Signature"]
    assert header.count("v1=") == 1 and not signing.verify(old_secret, receiver.received[1].body, header)


def test_private_network_targets_are_refused_at_send_time_in_production(endpoint, receiver, settings):
    settings.KRINGLOOP = {**settings.KRINGLOOP, "WEBHOOK_PRIVATE_NETWORKS": False}
    delivery = _emit(endpoint)
    assert delivery_attempt(delivery_id=delivery.pk).retry_in is None
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.last_error.startswith("Refused")
    assert receiver.received == []


def test_the_sweep_requeues_only_deliveries_whose_task_was_lost(endpoint, receiver):
    empty_broker()
    now = timezone.now()
    lost = _emit(endpoint)
    Delivery.objects.filter(pk=lost.pk).update(next_attempt_at=now - timedelta(minutes=5))
    emit("followup.closed", FollowUpFactory())  # just created: its task is on its way
    waiting = Delivery.objects.create(
        endpoint=endpoint, event="followup.created", body="{}", next_attempt_at=now + timedelta(minutes=10), attempts=1
    )
    taken = Delivery.objects.create(
        endpoint=endpoint,
        event="followup.created",
        body="{}",
        next_attempt_at=now - timedelta(minutes=5),
        claimed_until=now + timedelta(seconds=30),
    )
    assert deliveries_sweep(now=now) == 1
    assert published_tasks("webhooks.tasks.deliver") == [("webhooks.tasks.deliver", [str(lost.pk)])]
    assert deliveries_sweep(now=now + timedelta(seconds=30)) == 0  # queued again only after a while
    assert Delivery.objects.get(pk=waiting.pk).next_attempt_at == now + timedelta(minutes=10)
    assert Delivery.objects.get(pk=taken.pk).next_attempt_at == now - timedelta(minutes=5)
    empty_broker()


def test_behind_a_backlog_the_sweep_tops_the_queue_up_instead_of_doubling_it(endpoint, receiver):
    """A due delivery may only be waiting its turn: with messages already waiting in the webhooks
    queue, the sweep queues at most `limit` minus those (make chaos: every 15 s it added copies
    faster than the workers took them)."""
    from core.queue import send_task_now
    from webhooks.events import DELIVER_TASK

    empty_broker()
    now = timezone.now()
    overdue = [
        Delivery.objects.create(
            endpoint=endpoint, event="followup.created", body="{}", next_attempt_at=now - timedelta(minutes=5)
        )
        for _ in range(3)
    ]
    for _ in range(2):  # two messages waiting their turn in the webhooks queue
        send_task_now(DELIVER_TASK, str(overdue[0].pk))
    assert deliveries_sweep(now=now, limit=3) == 1
    assert len(published_tasks(DELIVER_TASK)) == 3
    empty_broker()  # the queue drained (or Redis restarted empty): everything overdue goes again
    assert deliveries_sweep(now=now + timedelta(minutes=1), limit=3) == 3
    empty_broker()


def test_the_sweep_forgets_finished_deliveries_after_thirty_days(endpoint):
    old = Delivery.objects.create(
        endpoint=endpoint, event="ping", body="{}", status="delivered", created_at=timezone.now() - timedelta(days=31)
    )
    recent = Delivery.objects.create(
        endpoint=endpoint, event="ping", body="{}", status="failed", created_at=timezone.now() - timedelta(days=29)
    )
    deliveries_sweep()
    assert list(Delivery.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not Delivery.objects.filter(pk=old.pk).exists()


def test_the_task_asks_celery_to_retry_with_the_backoff_countdown(endpoint, receiver, caplog):
    import re

    from webhooks.tasks import deliver

    receiver.statuses = [502]
    delivery = _emit(endpoint)
    with caplog.at_level("INFO", logger="celery.app.trace"):
        deliver.apply(args=[str(delivery.pk)])
    [countdown] = [int(n) for n in re.findall(r"retry: Retry in (\d+)s", caplog.text)]
    assert RETRY_DELAYS[0] <= countdown <= RETRY_DELAYS[0] * 1.1
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.attempts == 1  # the eager re-run found it not yet due
    assert len(receiver.received) == 1


@pytest.mark.worker
def test_a_delivery_goes_out_through_the_worker_once(celery_worker, receiver, admin):
    endpoint = make_endpoint(url=receiver.url, events=["followup.created"])
    delivery = endpoint_ping(endpoint=endpoint, actor=admin)  # committed at once: the worker gets the task
    assert wait_for(lambda: Delivery.objects.get(pk=delivery.pk).status == "delivered")
    from webhooks.tasks import deliver

    deliver.delay(str(delivery.pk))  # a duplicate message
    emit("followup.created", FollowUpFactory())
    assert wait_for(lambda: len(receiver.received) == 2 and Delivery.objects.filter(status="delivered").count() == 2)
    time.sleep(1)  # give the duplicate time to run
    assert len(receiver.received) == 2
    for request in receiver.received:
        assert signing.verify(endpoint.secret, request.body, request.headers["Kringloop-Signature"])


def test_the_request_goes_to_the_address_that_was_checked(endpoint, receiver, monkeypatch, settings):
    """DNS rebinding (#20.12): the name is resolved once, checked, and the connection goes to that
    address. Here the first lookup answers a public address and a second one would answer this
    machine; no packet leaves: connecting to the public address is refused on the spot."""
    import socket

    settings.KRINGLOOP = {**settings.KRINGLOOP, "WEBHOOK_PRIVATE_NETWORKS": False}
    port = receiver.server.server_address[1]
    endpoint.url = f"http://hooks.rebind.test:{port}/hooks/kringloop"
    endpoint.save()
    lookups, connects = [], []
    real_lookup, real_connect = socket.getaddrinfo, socket.socket.connect

    def rebinding(host, *args, **kwargs):
        if host != "hooks.rebind.test":
            return real_lookup(host, *args, **kwargs)
        lookups.append(host)
        address = "93.184.215.14" if len(lookups) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    def connect(sock, address):
        if address[0] in ("93.184.215.14", "127.0.0.1") and address[1] == port:
            connects.append(address[0])
            raise ConnectionRefusedError("not in this test")
        return real_connect(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    monkeypatch.setattr(socket.socket, "connect", connect)
    delivery = _emit(endpoint)
    delivery_attempt(delivery_id=delivery.pk)
    assert connects == ["93.184.215.14"]
    assert lookups == ["hooks.rebind.test"]
    assert receiver.received == []


def test_the_host_name_goes_along_as_the_host_header(endpoint, receiver, monkeypatch):
    import socket

    port = receiver.server.server_address[1]
    endpoint.url = f"http://hooks.pinned.test:{port}/hooks/kringloop?a=1"
    endpoint.save()
    real_lookup = socket.getaddrinfo

    def lookup(host, *args, **kwargs):
        if host == "hooks.pinned.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real_lookup(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    delivery = _emit(endpoint)
    delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "delivered", delivery.last_error
    [request] = receiver.received
    assert request.headers["Host"] == f"hooks.pinned.test:{port}" and request.path == "/hooks/kringloop?a=1"


def test_the_log_keeps_at_most_200_characters_of_a_public_answer_and_none_of_a_private_one():
    import ipaddress

    from webhooks.delivery import excerpt

    long = "x" * 5000
    assert excerpt(ipaddress.ip_address("93.184.215.14"), long) == "x" * 200
    assert excerpt(ipaddress.ip_address("2606:4700::1111"), "ok") == "ok"
    for private in ("127.0.0.1", "10.1.2.3", "::1", "64:ff9b::a01:203", "fd00::1"):
        assert excerpt(ipaddress.ip_address(private), long) == "", private


def test_localhost_reaches_a_receiver_on_127_0_0_1_even_when_1_is_tried_first(endpoint, receiver, monkeypatch):
    """The pinned connection tries each checked address in turn: "localhost" resolves to ::1
    first on many machines, and a receiver listening on 127.0.0.1 only must still be reached."""
    import socket

    port = receiver.server.server_address[1]
    real_lookup = socket.getaddrinfo

    def lookup(host, *args, **kwargs):
        if host == "localhost":
            return [
                (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", port, 0, 0)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
            ]
        return real_lookup(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    endpoint.url = receiver.url.replace("127.0.0.1", "localhost")
    endpoint.save()
    delivery = _emit(endpoint)
    delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "delivered", delivery.last_error


def test_the_retry_waits_and_the_time_limit_come_from_the_settings(settings):
    """make chaos shortens them (WEBHOOK_RETRY_DELAYS, WEBHOOK_TIMEOUT); the defaults are the documented ones."""
    from webhooks.delivery import TIMEOUT, _pool, retry_delay

    assert settings.KRINGLOOP["WEBHOOK_RETRY_DELAYS"] == RETRY_DELAYS
    assert settings.KRINGLOOP["WEBHOOK_TIMEOUT"] == TIMEOUT
    settings.KRINGLOOP = {**settings.KRINGLOOP, "WEBHOOK_RETRY_DELAYS": (5, 10), "WEBHOOK_TIMEOUT": 2}
    assert 5 <= retry_delay(1) <= 5.5 and 10 <= retry_delay(2) <= 11 and 10 <= retry_delay(5) <= 11
    assert _pool("http://127.0.0.1:9/hook", "127.0.0.1").timeout.read_timeout == 2
