"""core.mail sends a batch over one HTTP session of the provider's API (anymail) and reads the
environment's proxy settings once for it, instead of once per message: the same proxies, and the
messages still reach the provider (tests/esp_server.py speaks Mailgun's API), once each."""

import pytest
from django.core.mail import EmailMultiAlternatives, get_connection

from core.mail import _environment_once, send_many_once
from core.models import EmailDelivery
from tests.esp_server import EspServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailgun(settings):
    with EspServer() as server:
        for name, value in server.settings_for("mailgun").items():
            setattr(settings, name, value)
        yield server


def _message(to: str) -> EmailMultiAlternatives:
    return EmailMultiAlternatives(subject="Hello", body="Text", from_email="k@example.com", to=[to])


def test_the_session_keeps_the_proxy_the_environment_names_for_the_api(settings, mailgun, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    settings.ANYMAIL = {**settings.ANYMAIL, "MAILGUN_API_URL": "https://api.mailgun.example/v3"}
    connection = get_connection()
    connection.open()
    _environment_once(connection)
    assert connection.session.trust_env is False
    assert connection.session.proxies.get("https") == "http://proxy.example:3128"
    connection.close()


def test_an_api_the_environment_exempts_gets_no_proxy_and_the_batch_arrives_once(mailgun, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")  # would swallow the calls if used
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    items = [(f"session-test:{i}", "test", _message(f"r{i}@example.com")) for i in range(3)]
    sent = send_many_once(items)
    assert len(sent) == 3
    assert sorted(mailgun.recorder.recipients) == ["r0@example.com", "r1@example.com", "r2@example.com"]
    assert send_many_once(items) == []  # once per key
    assert mailgun.recorder.calls == 3
    assert EmailDelivery.objects.filter(status=EmailDelivery.Status.SENT).count() == 3
