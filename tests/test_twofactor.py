"""Two-factor authentication for staff (accounts/twofactor.py, accounts/login.py)."""

import pytest
from django.core.cache import cache
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential
from freezegun import freeze_time

from accounts.models import FailedLogin, SecuritySettings
from core.models import AuditLog
from tests.twofactor_support import code_for, with_app


@pytest.fixture(autouse=True)
def clean_cache():
    cache.clear()
    yield
    cache.clear()


def _password(client, username="arthur-agent", next_url=""):
    data = {"username": username, "password": "pw-for-tests"}
    if next_url:
        data["next"] = next_url
    return client.post("/login/", data)


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_a_user_with_an_app_is_asked_for_a_code_after_the_password(client, agent):
    device, _codes = with_app(agent)
    response = _password(client)
    assert response.status_code == 302 and response["Location"] == "/login/verify/"
    assert not _logged_in(client)
    assert client.get("/followups/").status_code == 302  # still the login page
    response = client.post("/login/verify/", {"code": code_for(device, steps_ahead=1)})
    assert response.status_code == 302
    assert _logged_in(client)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


def test_the_code_step_sends_the_user_on_to_where_they_were_going(client, agent):
    device, _codes = with_app(agent)
    _password(client, next_url="/improvements/")
    response = client.post("/login/verify/", {"code": code_for(device, steps_ahead=1)})
    assert response["Location"] == "/improvements/"


def test_a_wrong_code_does_not_sign_in_and_is_logged(client, agent):
    device, _codes = with_app(agent)
    _password(client)
    wrong = "000000" if code_for(device, steps_ahead=1) != "000000" else "111111"
    response = client.post("/login/verify/", {"code": wrong})
    assert response.status_code == 400
    assert "This code is not valid" in response.content.decode()
    assert not _logged_in(client)
    assert FailedLogin.objects.filter(username="arthur-agent", reason=FailedLogin.Reason.CODE).exists()


def test_a_code_is_accepted_once(client, agent):
    device, _codes = with_app(agent)
    code = code_for(device, steps_ahead=1)
    _password(client)
    client.post("/login/verify/", {"code": code})
    client.logout()
    _password(client)
    assert client.post("/login/verify/", {"code": code}).status_code == 400
    assert not _logged_in(client)


def test_a_recovery_code_signs_in_once_and_is_audited(client, agent):
    _device, codes = with_app(agent)
    assert len(codes) == 10 and len(set(codes)) == 10
    _password(client)
    assert client.post("/login/verify/", {"code": codes[0].upper()}).status_code == 302
    assert _logged_in(client)
    assert AuditLog.objects.filter(action="twofactor.recovery_code_used", target_id=str(agent.pk)).exists()
    client.logout()
    _password(client)
    with freeze_time() as clock:
        assert client.post("/login/verify/", {"code": codes[0]}).status_code == 400
        clock.tick(2)  # django-otp slows a device down for a second after a wrong code
        assert client.post("/login/verify/", {"code": codes[1]}).status_code == 302


def test_the_code_step_expires_after_five_minutes(client, agent):
    device, _codes = with_app(agent)
    with freeze_time() as clock:
        _password(client)
        clock.tick(301)
        response = client.post("/login/verify/", {"code": code_for(device)})
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert not _logged_in(client)


def test_the_code_step_cannot_be_reached_without_the_password(client, agent):
    with_app(agent)
    assert client.get("/login/verify/")["Location"] == "/login/"


def test_setting_up_an_app_shows_a_qr_code_then_confirming_shows_recovery_codes(client, agent):
    client.force_login(agent)
    page = client.get("/account/two-factor/").content.decode()
    assert "Set up an authenticator app" in page
    client.post("/account/two-factor/", {"action": "begin"})
    page = client.get("/account/two-factor/").content.decode()
    assert "<svg" in page and 'id="totp-secret"' in page
    device = TOTPDevice.objects.get(user=agent, confirmed=False)
    response = client.post("/account/two-factor/", {"action": "confirm", "code": code_for(device)})
    assert response.status_code == 200
    assert response.context["codes"] and len(response.context["codes"]) == 10
    device.refresh_from_db()
    assert device.confirmed
    assert AuditLog.objects.filter(action="twofactor.enabled", actor=agent).exists()


def test_a_wrong_code_does_not_turn_the_app_on(client, agent):
    client.force_login(agent)
    client.post("/account/two-factor/", {"action": "begin"})
    device = TOTPDevice.objects.get(user=agent)
    wrong = "000000" if code_for(device) != "000000" else "111111"
    response = client.post("/account/two-factor/", {"action": "confirm", "code": wrong})
    assert response.status_code == 400
    assert not TOTPDevice.objects.filter(user=agent, confirmed=True).exists()


def test_new_recovery_codes_void_the_old_ones(client, agent):
    _device, old = with_app(agent)
    client.force_login(agent)
    new = client.post("/account/two-factor/recovery-codes/").context["codes"]
    assert set(new).isdisjoint(old)
    client.logout()
    _password(client)
    assert client.post("/login/verify/", {"code": old[0]}).status_code == 400


def test_require_2fa_sends_a_user_without_an_app_to_set_one_up(client, agent, admin):
    client.force_login(admin)
    client.post("/security/", {"require_2fa": "on"})
    assert SecuritySettings.current().require_2fa
    assert AuditLog.objects.filter(action="security.settings_changed", actor=admin).exists()
    client.logout()
    assert _password(client).status_code == 302
    response = client.get("/followups/")
    assert response.status_code == 302 and response["Location"] == "/account/two-factor/"
    client.post("/account/two-factor/", {"action": "begin"})
    device = TOTPDevice.objects.get(user=agent)
    client.post("/account/two-factor/", {"action": "confirm", "code": code_for(device)})
    assert client.get("/followups/").status_code == 200


def test_without_the_setting_users_sign_in_with_a_password_alone(client, agent):
    assert _password(client).status_code == 302
    assert client.get("/followups/").status_code == 200


def test_with_the_setting_the_app_cannot_be_turned_off(client, agent):
    with_app(agent)
    SecuritySettings.objects.update_or_create(pk=1, defaults={"require_2fa": True})
    client.force_login(agent)
    client.post("/account/two-factor/off/")
    assert TOTPDevice.objects.filter(user=agent, confirmed=True).exists()


def test_a_user_can_turn_the_app_off_when_not_required(client, agent):
    with_app(agent)
    client.force_login(agent)
    client.post("/account/two-factor/off/")
    assert not TOTPDevice.objects.filter(user=agent).exists()
    assert AuditLog.objects.filter(action="twofactor.disabled", actor=agent).exists()


def test_an_admin_resets_a_users_2fa_and_the_reset_is_audited(client, agent, admin):
    with_app(agent)
    client.force_login(admin)
    page = client.get("/security/").content.decode()
    assert f"/security/users/{agent.pk}/reset-2fa/" in page
    assert client.post(f"/security/users/{agent.pk}/reset-2fa/").status_code == 302
    assert not TOTPDevice.objects.filter(user=agent).exists()
    assert not StaticDevice.objects.filter(user=agent).exists()
    entry = AuditLog.objects.get(action="twofactor.reset")
    assert entry.actor == admin and entry.target_id == str(agent.pk)
    client.logout()
    assert _password(client).status_code == 302 and _logged_in(client)  # a password alone again


def test_only_admins_reset_2fa(client, agent, agent_b):
    with_app(agent_b)
    client.force_login(agent)
    assert client.post(f"/security/users/{agent_b.pk}/reset-2fa/").status_code == 403
    assert TOTPDevice.objects.filter(user=agent_b).exists()


def _passkey(user):
    """A stored passkey (its public key is never used here: the browser test does real ceremonies)."""
    return WebAuthnCredential.objects.create(
        user=user, name="Laptop", credential_id=b"credential-" + str(user.pk).encode(), public_key=b"key", aaguid=""
    )


def test_a_passkey_counts_as_two_factor_authentication(client, agent):
    SecuritySettings.objects.update_or_create(pk=1, defaults={"require_2fa": True})
    _passkey(agent)
    response = _password(client)
    assert response["Location"] == "/login/verify/"  # a password alone is not enough
    assert not _logged_in(client)


def test_an_admins_reset_removes_passkeys_too(client, agent, admin):
    _passkey(agent)
    client.force_login(admin)
    assert "Passkey" in client.get("/security/").content.decode()
    client.post(f"/security/users/{agent.pk}/reset-2fa/")
    assert not WebAuthnCredential.objects.filter(user=agent).exists()
    assert AuditLog.objects.filter(action="twofactor.reset", target_id=str(agent.pk)).exists()


def test_a_user_removes_a_passkey_and_it_is_audited(client, agent):
    key = _passkey(agent)
    client.force_login(agent)
    client.post(f"/account/two-factor/passkeys/{key.pk}/remove/")
    assert not WebAuthnCredential.objects.filter(pk=key.pk).exists()
    assert AuditLog.objects.filter(action="twofactor.passkey_removed", actor=agent).exists()


def test_a_user_cannot_remove_someone_elses_passkey(client, agent, agent_b):
    key = _passkey(agent_b)
    client.force_login(agent)
    client.post(f"/account/two-factor/passkeys/{key.pk}/remove/")
    assert WebAuthnCredential.objects.filter(pk=key.pk).exists()


def test_a_user_sent_to_set_up_2fa_can_start_adding_a_passkey_instead(client, agent):
    SecuritySettings.objects.update_or_create(pk=1, defaults={"require_2fa": True})
    _password(client)
    response = client.post("/account/passkeys/registration/begin/", "{}", content_type="application/json")
    assert response.status_code == 200 and "challenge" in response.json()
