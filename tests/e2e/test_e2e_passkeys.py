"""A staff member adds a passkey and signs in with it alone, in Chromium with a virtual
authenticator (the DevTools WebAuthn domain stands in for a phone or security key)."""

import pytest

from core.models import AuditLog
from tests.e2e.conftest import login, shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def authenticator(laptop):
    cdp = laptop.context.new_cdp_session(laptop)
    cdp.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    found = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})
    yield cdp, found["authenticatorId"]


@pytest.fixture
def passkey_site(settings, live_server):
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    assert live_server.url.startswith("http://localhost:")
    return live_server


def test_it_adds_a_passkey_and_signs_in_with_it(laptop, passkey_site, authenticator, agent):
    cdp, authenticator_id = authenticator
    login(laptop, passkey_site, "arthur-agent")
    laptop.goto(f"{passkey_site.url}/account/two-factor/")
    laptop.get_by_role("button", name="Add a passkey").click()
    laptop.locator("#passkeys li").first.wait_for()
    assert len(cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]) == 1
    assert AuditLog.objects.filter(action="twofactor.passkey_added", actor=agent).exists()
    shot(laptop, "passkey-added")

    laptop.context.clear_cookies()
    laptop.goto(f"{passkey_site.url}/login/")
    laptop.get_by_role("button", name="Sign in with a passkey").click()
    laptop.wait_for_url(f"{passkey_site.url}/followups/")
    assert laptop.get_by_role("link", name="My follow-ups").is_visible()
    assert AuditLog.objects.filter(action="login.passkey", actor=agent).exists()


def test_a_password_sign_in_of_a_user_with_a_passkey_asks_for_the_second_factor(
    laptop, passkey_site, authenticator, agent
):
    login(laptop, passkey_site, "arthur-agent")
    laptop.goto(f"{passkey_site.url}/account/two-factor/")
    laptop.get_by_role("button", name="Add a passkey").click()
    laptop.locator("#passkeys li").first.wait_for()
    laptop.context.clear_cookies()
    login(laptop, passkey_site, "arthur-agent")
    assert laptop.url.endswith("/login/verify/")
    laptop.get_by_role("button", name="Sign in with a passkey").click()
    laptop.wait_for_url(f"{passkey_site.url}/followups/")
