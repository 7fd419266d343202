"""Password reset by e-mail (accounts/passwords.py): an expiring one-time link, the same answer for
any address, rate limits, the audit log, and the e-mail through the project's mail path."""

import re

import pytest
from django.core.cache import cache
from freezegun import freeze_time

from accounts.tasks import send_password_reset_email
from core.models import AuditLog, OutboxMessage
from tests.helpers import prefers

TASK = "accounts.tasks.send_password_reset_email"


@pytest.fixture(autouse=True)
def clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def with_email(agent):
    agent.email = "arthur@example.com"
    agent.save()
    return agent


def _ask(client, email, django_capture_on_commit_callbacks, ip="127.0.0.1"):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post("/password/reset/", {"email": email}, REMOTE_ADDR=ip)


def _deliver(broker):
    """What the worker does with each queued reset e-mail."""
    for _name, args in broker(TASK):
        send_password_reset_email.apply(args=args)


def _link(message) -> str:
    return re.search(r"http://[^/\s]+(/password/reset/[^\s]+/)", message.body_text).group(1)


def test_a_known_address_gets_a_link_that_sets_a_new_password(
    client, with_email, broker, outbox_backend, django_capture_on_commit_callbacks
):
    response = _ask(client, "Arthur@Example.com", django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response["Location"] == "/password/reset/sent/"
    _deliver(broker)
    message = OutboxMessage.objects.get()
    assert message.to == "arthur@example.com"
    assert message.subject == "Reset your Kringloop password"
    assert "/password/reset/" in message.body_html
    form_page = client.get(_link(message), follow=True)
    assert form_page.context["validlink"]
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-new-long-secret-9", "new_password2": "a-new-long-secret-9"},
    )
    assert done.status_code == 302 and done["Location"] == "/password/reset/done/"
    with_email.refresh_from_db()
    assert with_email.check_password("a-new-long-secret-9")
    assert AuditLog.objects.filter(action="password.reset_requested", target_id=str(with_email.pk)).exists()
    assert AuditLog.objects.filter(action="password.reset_completed", target_id=str(with_email.pk)).exists()


def test_the_link_works_once(client, with_email, broker, outbox_backend, django_capture_on_commit_callbacks):
    _ask(client, "arthur@example.com", django_capture_on_commit_callbacks)
    _deliver(broker)
    link = _link(OutboxMessage.objects.get())
    page = client.get(link, follow=True)
    client.post(
        page.redirect_chain[-1][0], {"new_password1": "a-new-long-secret-9", "new_password2": "a-new-long-secret-9"}
    )
    assert client.get(link, follow=True).context["validlink"] is False


def test_the_link_expires(client, with_email, broker, outbox_backend, django_capture_on_commit_callbacks, settings):
    with freeze_time() as clock:
        _ask(client, "arthur@example.com", django_capture_on_commit_callbacks)
        _deliver(broker)
        clock.tick(settings.PASSWORD_RESET_TIMEOUT + 1)
        page = client.get(_link(OutboxMessage.objects.get()), follow=True)
    assert page.context["validlink"] is False
    assert 'id="invalid-link"' in page.content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_email(
    client, with_email, broker, outbox_backend, django_capture_on_commit_callbacks
):
    known = _ask(client, "arthur@example.com", django_capture_on_commit_callbacks)
    unknown = _ask(client, "nobody@example.com", django_capture_on_commit_callbacks)
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert len(broker(TASK)) == 1
    entry = AuditLog.objects.filter(action="password.reset_requested", target_id="").get()
    assert entry.data["email"] == "nobody@example.com" and entry.data["account"] is False


def test_the_email_is_in_the_users_language(
    client, with_email, broker, outbox_backend, django_capture_on_commit_callbacks
):
    prefers(with_email, "nl")
    _ask(client, "arthur@example.com", django_capture_on_commit_callbacks)
    _deliver(broker)
    assert OutboxMessage.objects.get().subject == "Stel uw Kringloop-wachtwoord opnieuw in"


def test_a_retried_task_sends_one_email(client, with_email, broker, outbox_backend, django_capture_on_commit_callbacks):
    _ask(client, "arthur@example.com", django_capture_on_commit_callbacks)
    _deliver(broker)
    _deliver(broker)
    assert OutboxMessage.objects.count() == 1


def test_requests_are_rate_limited_per_client_address(client, with_email, broker, django_capture_on_commit_callbacks):
    for n in range(5):
        assert _ask(client, f"x{n}@example.com", django_capture_on_commit_callbacks).status_code == 302
    response = _ask(client, "arthur@example.com", django_capture_on_commit_callbacks)
    assert response.status_code == 429 and "Retry-After" in response
    assert broker(TASK) == []
    assert _ask(client, "arthur@example.com", django_capture_on_commit_callbacks, ip="198.51.100.7").status_code == 302


def test_one_address_gets_at_most_three_emails_an_hour_and_the_answer_does_not_change(
    client, with_email, broker, django_capture_on_commit_callbacks
):
    for n in range(4):
        response = _ask(client, "arthur@example.com", django_capture_on_commit_callbacks, ip=f"198.51.100.{n}")
        assert response.status_code == 302 and response["Location"] == "/password/reset/sent/"
    assert len(broker(TASK)) == 3
    assert AuditLog.objects.filter(action="password.reset_limited").count() == 1


def test_an_inactive_user_gets_no_email(client, with_email, broker, django_capture_on_commit_callbacks):
    with_email.is_active = False
    with_email.save()
    _ask(client, "arthur@example.com", django_capture_on_commit_callbacks)
    assert broker(TASK) == []


def test_with_sso_only_only_the_break_glass_admin_can_reset(
    client, with_email, admin, broker, django_capture_on_commit_callbacks, settings
):
    settings.SSO_ONLY = True
    settings.BREAK_GLASS_USERNAME = "alice-admin"
    admin.email = "alice@example.com"
    admin.save()
    _ask(client, "arthur@example.com", django_capture_on_commit_callbacks)
    assert broker(TASK) == []
    _ask(client, "alice@example.com", django_capture_on_commit_callbacks)
    assert [args[0] for _name, args in broker(TASK)] == [admin.pk]


def test_the_login_page_links_to_the_reset(client, db):
    assert 'href="/password/reset/"' in client.get("/login/").content.decode()
