"""Failed sign-ins slow down the account *and* address that failed, with growing delays; they never
lock the account for everyone (accounts/throttle.py). Failures are logged and shown to admins."""

import pytest
from django.core.cache import cache
from freezegun import freeze_time

from accounts import throttle
from accounts.models import FailedLogin
from core.models import AuditLog

ATTACKER = "203.0.113.9"


@pytest.fixture(autouse=True)
def clean_cache():
    cache.clear()
    yield
    cache.clear()


def _login(client, password, username="arthur-agent", ip="127.0.0.1"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_four_failures_then_the_right_password_logs_in(client, agent):
    for _ in range(4):
        assert _login(client, "wrong").status_code == 200
    assert _login(client, "pw-for-tests").status_code == 302


def test_after_five_failures_the_next_attempt_must_wait_even_with_the_right_password(client, agent):
    for _ in range(5):
        _login(client, "wrong")
    response = _login(client, "pw-for-tests")
    assert response.status_code == 429
    assert int(response["Retry-After"]) == throttle.BASE_DELAY
    assert "Please wait 2 seconds" in response.content.decode()
    assert AuditLog.objects.filter(action="login.throttled", data__ip="127.0.0.1").exists()


def test_the_wait_doubles_with_each_further_failure_and_then_the_right_password_works(client, agent):
    with freeze_time() as clock:
        for _ in range(5):
            _login(client, "wrong")
        waits = []
        for _ in range(2):  # ten attempts in all: the per-minute cap (Redis's clock, not frozen) is not reached
            waits.append(int(_login(client, "wrong")["Retry-After"]))
            clock.tick(waits[-1])
            assert _login(client, "wrong").status_code == 200  # a failure after the wait: it grows
        assert waits == [2, 4]
        clock.tick(8)
        assert _login(client, "pw-for-tests").status_code == 302


def test_the_wait_never_exceeds_the_maximum():
    assert throttle.delay_after(4, throttle.PAIR_FREE) == 0
    assert throttle.delay_after(5, throttle.PAIR_FREE) == 2
    assert throttle.delay_after(500, throttle.PAIR_FREE) == throttle.MAX_DELAY == 15 * 60


def test_an_attacker_at_another_address_cannot_lock_out_the_real_user(client, agent):
    for _ in range(12):
        _login(client, "wrong", ip=ATTACKER)
    assert _login(client, "wrong", ip=ATTACKER).status_code == 429  # the attacker waits
    assert _login(client, "pw-for-tests").status_code == 302  # the user, from their own address, does not


def test_the_admin_cannot_be_locked_out_either(client, admin):
    for _ in range(12):
        _login(client, "wrong", username="alice-admin", ip=ATTACKER)
    assert _login(client, "pw-for-tests", username="alice-admin", ip="198.51.100.7").status_code == 302


def test_guessing_many_accounts_from_one_address_slows_that_address_down(client, agent):
    for n in range(throttle.ADDRESS_FREE):
        assert _login(client, "wrong", username=f"someone-{n}", ip=ATTACKER).status_code == 200
    _login(client, "wrong", username="someone-else", ip=ATTACKER)
    assert _login(client, "pw-for-tests", ip=ATTACKER).status_code == 429
    assert _login(client, "pw-for-tests").status_code == 302  # other addresses are not affected


def test_a_burst_of_attempts_is_capped_per_account_and_address(client, agent):
    # Counted atomically before the password is checked, so parallel guesses cannot slip through
    # before their failures are counted. Right passwords count too.
    for _ in range(throttle.PAIR_ATTEMPTS_PER_MINUTE):
        assert _login(client, "pw-for-tests").status_code == 302
        client.logout()
    assert _login(client, "pw-for-tests").status_code == 429


def test_a_success_forgets_the_failures_of_that_account_and_address(client, agent):
    for _ in range(4):
        _login(client, "wrong")
    assert _login(client, "pw-for-tests").status_code == 302
    client.logout()
    for _ in range(4):
        assert _login(client, "wrong").status_code == 200


def test_failed_sign_ins_are_logged_and_shown_to_admins(client, agent, admin):
    for _ in range(6):
        _login(client, "wrong", ip=ATTACKER)
    rows = FailedLogin.objects.filter(username="arthur-agent", ip=ATTACKER)
    assert rows.filter(reason=FailedLogin.Reason.PASSWORD).count() == 5
    assert rows.filter(reason=FailedLogin.Reason.THROTTLED).count() == 1
    assert rows.first().user == agent
    client.force_login(admin)
    page = client.get("/security/").content.decode()
    assert ATTACKER in page and "arthur-agent" in page
    assert "Refused: too many failures, waiting" in page


def test_the_failed_sign_ins_page_is_for_admins_only(client, agent):
    client.force_login(agent)
    assert client.get("/security/").status_code == 403
