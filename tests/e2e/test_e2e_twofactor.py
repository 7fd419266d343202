"""A staff member sets up an authenticator app in the browser, then signs in with a code from it."""

import base64

import pytest
from django_otp.oath import totp

from accounts.models import SecuritySettings
from tests.e2e.conftest import axe_violations, login, shot
from tests.twofactor_support import with_app

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _code(secret_b32: str, steps_ahead: int = 0) -> str:
    """What an authenticator app shows for the key the page displays."""
    return f"{totp(base64.b32decode(secret_b32), drift=steps_ahead):06d}"


def test_it_sets_up_an_app_and_signs_in_with_a_totp_code(laptop, live_server, agent, admin):
    SecuritySettings.objects.update_or_create(pk=1, defaults={"require_2fa": True})
    login(laptop, live_server, "arthur-agent")
    # Required and not set up yet: any page leads to the set-up.
    laptop.goto(f"{live_server.url}/followups/")
    assert laptop.url.endswith("/account/two-factor/")
    laptop.get_by_role("button", name="Set up an authenticator app").click()
    laptop.wait_for_load_state()
    secret = laptop.locator("#totp-secret").inner_text().strip()
    assert laptop.locator("svg").count() >= 1  # the QR code
    laptop.fill("#id_code", _code(secret))
    laptop.get_by_role("button", name="Turn on").click()
    laptop.wait_for_load_state()
    codes = laptop.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    shot(laptop, "twofactor-recovery-codes")
    laptop.context.clear_cookies()

    login(laptop, live_server, "arthur-agent")
    assert laptop.url.endswith("/login/verify/")
    assert axe_violations(laptop) == []
    shot(laptop, "twofactor-code-step")
    laptop.fill("#id_code", _code(secret, steps_ahead=1))  # the set-up used this period's code
    laptop.get_by_role("button", name="Verify").click()
    laptop.wait_for_load_state()
    assert laptop.url.endswith("/followups/")
    assert laptop.get_by_role("link", name="My follow-ups").is_visible()


def test_a_wrong_code_keeps_the_user_out(laptop, live_server, agent):
    device, _codes = with_app(agent)
    login(laptop, live_server, "arthur-agent")
    laptop.fill("#id_code", "12345a")
    laptop.get_by_role("button", name="Verify").click()
    laptop.wait_for_load_state()
    assert laptop.url.endswith("/login/verify/")
    assert "This code is not valid" in laptop.content()
    laptop.goto(f"{live_server.url}/followups/")
    assert "/login/" in laptop.url
