"""The webhook pages: admins only; register, edit, disable, delete, rotate, ping, read the log,
re-send. Bad input gets form errors (400), every change is in the audit log."""

import socket

import pytest
from django.utils import timezone

from core.models import AuditLog
from tests.factories import FollowUpFactory, ResponseFactory
from tests.webhooks_support import make_endpoint
from webhooks.delivery import delivery_attempt
from webhooks.events import emit
from webhooks.models import Delivery, DeliveryAttempt, Endpoint

VALID = {
    "url": "https://crm.example.com/hooks/nps",
    "description": "CRM",
    "events": ["followup.created", "response.created"],
    "active": "on",
}


@pytest.fixture
def endpoint(db):
    return make_endpoint(url="https://crm.example.com/hooks/nps", events=["followup.created"])


@pytest.fixture
def delivery(endpoint):
    emit("followup.created", FollowUpFactory())
    return Delivery.objects.get()


def _urls(endpoint, delivery):
    return {
        "get": [
            "/webhooks/",
            "/webhooks/new/",
            f"/webhooks/{endpoint.pk}/",
            f"/webhooks/{endpoint.pk}/edit/",
            f"/webhooks/deliveries/{delivery.pk}/",
        ],
        "post": [
            f"/webhooks/{endpoint.pk}/toggle/",
            f"/webhooks/{endpoint.pk}/delete/",
            f"/webhooks/{endpoint.pk}/rotate/",
            f"/webhooks/{endpoint.pk}/ping/",
            f"/webhooks/deliveries/{delivery.pk}/resend/",
            "/webhooks/new/",
            f"/webhooks/{endpoint.pk}/edit/",
        ],
    }


@pytest.mark.parametrize("persona", ["agent", "viewer", "outsider"])
def test_only_admins_may_open_or_change_anything(client, personas, endpoint, delivery, persona):
    client.force_login(personas[persona])
    urls = _urls(endpoint, delivery)
    for url in urls["get"]:
        assert client.get(url).status_code == 403, url
    for url in urls["post"]:
        assert client.post(url, VALID).status_code == 403, url
    assert Endpoint.objects.get().url == "https://crm.example.com/hooks/nps" and Endpoint.objects.get().active
    assert Delivery.objects.count() == 1 and not AuditLog.objects.filter(action__startswith="webhook.").exists()


def test_anonymous_users_go_to_the_login_page(client, endpoint, delivery):
    for url in _urls(endpoint, delivery)["get"]:
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


def test_the_admin_menu_links_the_webhooks_page(client, admin):
    client.force_login(admin)
    assert 'href="/webhooks/"' in client.get("/webhooks/").content.decode()


def test_an_admin_registers_an_endpoint_and_sees_its_secret(client, admin):
    client.force_login(admin)
    response = client.post("/webhooks/new/", VALID)
    endpoint = Endpoint.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/webhooks/{endpoint.pk}/?secret=show"
    assert (endpoint.url, endpoint.description, endpoint.active) == ("https://crm.example.com/hooks/nps", "CRM", True)
    assert endpoint.events == ["response.created", "followup.created"]
    assert endpoint.created_by == admin and endpoint.secret.startswith("whsec_") and len(endpoint.secret) > 40
    page = client.get(response["Location"]).content.decode()
    assert endpoint.secret in page and "<details open>" in page
    entry = AuditLog.objects.get(action="webhook.created")
    assert entry.actor == admin and entry.data["url"] == endpoint.url
    assert endpoint.secret not in str(entry.data)


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({**VALID, "url": "not a url"}, "url", "Enter a valid URL."),
        ({**VALID, "url": "ftp://files.example.com/in"}, "url", "Enter a full http:// or https:// address."),
        ({**VALID, "url": ""}, "url", "This field is required."),
        ({**VALID, "url": "https://example.com/" + "x" * 500}, "url", "at most 500 characters"),
        ({**VALID, "events": []}, "events", "Choose at least one event."),
        ({**VALID, "events": ["invoice.paid"]}, "events", "Select a valid choice."),
    ],
)
def test_bad_input_gives_form_errors(client, admin, data, field, message):
    client.force_login(admin)
    response = client.post("/webhooks/new/", data)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert not Endpoint.objects.exists()


def test_production_requires_https_and_public_addresses(client, admin, settings):
    settings.PRODUCTION = True
    settings.KRINGLOOP = {**settings.KRINGLOOP, "WEBHOOK_PRIVATE_NETWORKS": False}
    client.force_login(admin)
    for url, message in [
        ("http://crm.example.com/hooks", "Use an https:// address"),
        ("https://127.0.0.1:8000/hooks", "this server itself"),
        ("https://localhost/hooks", "this server itself"),
        ("https://10.1.2.3/hooks", "private network"),
        ("https://[::1]/hooks", "this server itself"),
        ("https://169.254.169.254/latest/meta-data", "private network"),
    ]:
        response = client.post("/webhooks/new/", {**VALID, "url": url})
        assert response.status_code == 400, url
        assert message in " ".join(response.context["form"].errors["url"]), url
    assert client.post("/webhooks/new/", {**VALID, "url": "https://93.184.215.14/hooks"}).status_code == 302
    assert Endpoint.objects.count() == 1


def test_outside_production_http_and_localhost_are_fine(client, admin):
    client.force_login(admin)
    assert client.post("/webhooks/new/", {**VALID, "url": "http://localhost:9000/hooks"}).status_code == 302


def test_editing_is_audited(client, admin, endpoint):
    client.force_login(admin)
    response = client.post(
        f"/webhooks/{endpoint.pk}/edit/", {**VALID, "description": "Helpdesk", "events": ["followup.closed"]}
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.description == "Helpdesk" and endpoint.events == ["followup.closed"]
    assert set(AuditLog.objects.get(action="webhook.updated").data["changed"]) >= {"description", "events"}


def test_disabling_cancels_what_is_waiting_and_enabling_again_works(client, admin, endpoint, delivery):
    client.force_login(admin)
    client.post(f"/webhooks/{endpoint.pk}/toggle/")
    endpoint.refresh_from_db()
    delivery.refresh_from_db()
    assert not endpoint.active and delivery.status == "cancelled"
    client.post(f"/webhooks/{endpoint.pk}/toggle/")
    endpoint.refresh_from_db()
    assert endpoint.active
    assert list(
        AuditLog.objects.filter(action__in=["webhook.disabled", "webhook.enabled"])
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["webhook.disabled", "webhook.enabled"]


def test_deleting_removes_the_endpoint_and_its_log(client, admin, endpoint, delivery):
    client.force_login(admin)
    assert client.post(f"/webhooks/{endpoint.pk}/delete/").status_code == 302
    assert not Endpoint.objects.exists() and not Delivery.objects.exists()
    entry = AuditLog.objects.get(action="webhook.deleted")
    assert entry.data["url"] == "https://crm.example.com/hooks/nps" and entry.data["deliveries"] == 1


def test_rotating_the_secret_shows_the_new_one(client, admin, endpoint):
    old = endpoint.secret
    client.force_login(admin)
    response = client.post(f"/webhooks/{endpoint.pk}/rotate/")
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.previous_secret == old
    assert endpoint.previous_secret_expires_at > timezone.now()
    page = client.get(response["Location"]).content.decode()
    assert endpoint.secret in page and old not in page
    entry = AuditLog.objects.get(action="webhook.secret_rotated")
    assert old not in str(entry.data) and endpoint.secret not in str(entry.data)


def test_a_test_ping_is_queued_and_shown(client, admin, endpoint):
    client.force_login(admin)
    response = client.post(f"/webhooks/{endpoint.pk}/ping/")
    delivery = Delivery.objects.get(event="ping")
    assert response["Location"] == f"/webhooks/deliveries/{delivery.pk}/"
    assert AuditLog.objects.filter(action="webhook.pinged").exists()


def test_the_log_and_a_delivery_show_status_attempts_headers_and_payload(client, admin, endpoint, delivery):
    DeliveryAttempt.objects.create(
        delivery=delivery,
        number=1,
        url=endpoint.url,
        status_code=503,
        request_headers={"Kringloop-Signature": "t=1,v1=abc"},
        duration_ms=1234,
        response_excerpt="<b>upstream down</b>",
        error="HTTP 503",
        started_at=timezone.now(),
    )
    Delivery.objects.filter(pk=delivery.pk).update(attempts=1, last_status_code=503, last_error="HTTP 503")
    client.force_login(admin)
    log = client.get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert f"/webhooks/deliveries/{delivery.pk}/" in log and "HTTP 503" in log
    assert list(client.get(f"/webhooks/{endpoint.pk}/?status=delivered").context["page"].object_list) == []
    assert client.get(f"/webhooks/{endpoint.pk}/?status=bogus&page=zz").status_code == 200
    page = client.get(f"/webhooks/deliveries/{delivery.pk}/").content.decode()
    assert "t=1,v1=abc" in page and "1234" in page and "&lt;b&gt;upstream down&lt;/b&gt;" in page
    assert "&quot;followup.created&quot;" in page  # the payload, escaped


def test_a_comment_in_a_payload_is_escaped(client, admin):
    make_endpoint(events=["response.created"])
    emit("response.created", ResponseFactory(comment='<script>alert("x")</script>'))
    client.force_login(admin)
    page = client.get(f"/webhooks/deliveries/{Delivery.objects.get().pk}/").content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page


def test_resend_from_the_page_makes_a_new_attempt(
    client, admin, endpoint, delivery, django_capture_on_commit_callbacks
):
    Delivery.objects.filter(pk=delivery.pk).update(status="failed", attempts=6, next_attempt_at=None)
    client.force_login(admin)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(f"/webhooks/deliveries/{delivery.pk}/resend/")
    assert response.status_code == 302 and len(callbacks) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.max_attempts) == ("pending", 7)
    assert AuditLog.objects.get(action="webhook.resent").data["delivery"] == str(delivery.pk)


def test_resend_for_a_disabled_endpoint_is_refused_with_a_message(client, admin, endpoint, delivery):
    Endpoint.objects.filter(pk=endpoint.pk).update(active=False)
    client.force_login(admin)
    response = client.post(f"/webhooks/deliveries/{delivery.pk}/resend/", follow=True)
    assert "enable it before re-sending" in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.max_attempts == 6


def test_unknown_ids_and_wrong_methods_are_4xx(client, admin, endpoint):
    client.force_login(admin)
    assert client.get("/webhooks/999999/").status_code == 404
    assert client.get("/webhooks/deliveries/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get("/webhooks/deliveries/not-a-uuid/").status_code == 404
    assert client.get(f"/webhooks/{endpoint.pk}/rotate/").status_code == 405
    assert client.get(f"/webhooks/{endpoint.pk}/delete/").status_code == 405
    assert Endpoint.objects.filter(pk=endpoint.pk).exists()


def test_the_list_shows_each_endpoint_with_its_last_delivery(client, admin):
    with socket.socket() as closed:  # a port nobody listens on: the attempt fails at once
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    endpoint = make_endpoint(url=f"http://127.0.0.1:{port}/hooks", events=["followup.created"])
    emit("followup.created", FollowUpFactory())
    delivery_attempt(delivery_id=Delivery.objects.get().pk)
    client.force_login(admin)
    page = client.get("/webhooks/").content.decode()
    assert endpoint.url in page and "followup.created" in page
    [row] = client.get("/webhooks/").context["endpoints"]
    assert row.last_status == "pending" and row.troubled == 1
