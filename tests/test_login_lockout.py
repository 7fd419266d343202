"""Repeated failed logins lock the account for a while, in the shared cache."""

import pytest
from django.core.cache import cache

from core.models import AuditLog


@pytest.fixture(autouse=True)
def clean_cache():
    cache.clear()
    yield
    cache.clear()


def _login(client, password, username="arthur-agent"):
    return client.post("/login/", {"username": username, "password": password})


def test_it_locks_the_login_after_five_failures_even_with_the_right_password(client, agent):
    for _ in range(5):
        assert _login(client, "wrong").status_code == 200
    response = _login(client, "pw-for-tests")
    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()
    assert AuditLog.objects.filter(action="login.locked").exists()


def test_four_failures_then_the_right_password_logs_in_and_resets(client, agent):
    for _ in range(4):
        _login(client, "wrong")
    assert _login(client, "pw-for-tests").status_code == 302


def test_the_lock_is_per_username(client, agent, viewer):
    for _ in range(5):
        _login(client, "wrong")
    assert client.post("/login/", {"username": "vera-viewer", "password": "pw-for-tests"}).status_code == 302


def test_the_lock_expires(client, agent):
    from core.login import _keys

    for _ in range(5):
        _login(client, "wrong")
    for key in _keys("arthur-agent", "127.0.0.1"):
        cache.delete(key)  # what the 15-minute expiry does
    assert _login(client, "pw-for-tests").status_code == 302
