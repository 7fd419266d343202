"""Two-factor authentication for staff, on django-otp's devices.

- An authenticator app (TOTP, django_otp.plugins.otp_totp): set up by scanning a QR code and
  confirming one code; only a confirmed device counts.
- Recovery codes (django_otp.plugins.otp_static): ten one-time codes made when the app is
  confirmed, each gone once used; a user can make a new set (the old set is then void).
- The password sign-in asks for a code when the user has a confirmed app (accounts.login).
- SecuritySettings.require_2fa: a user without an app who signs in with a password is sent to
  set one up (accounts.middleware) before any other page. Sign-ins through the company's single
  sign-on are exempt: its identity provider enforces its own second factor.
- Passkeys (WebAuthn, django-otp-webauthn; accounts.passkeys) count as 2FA as well.
- An admin can reset a user's 2FA (all devices removed); the reset is audit-logged.
"""

from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts.models import SecuritySettings
from core.audit import audit_log

RECOVERY_CODES = 10
SETUP_SESSION_KEY = "kr_2fa_setup_required"
APP_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"


def has_2fa(user) -> bool:
    """An authenticator app or a passkey (recovery codes alone do not count)."""
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()
    )


def has_app(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def passkeys(user):
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at")


def passkey_remove(*, user, pk: int) -> bool:
    with transaction.atomic():
        removed = WebAuthnCredential.objects.filter(user=user, pk=pk).delete()[0]
        if removed:
            audit_log(actor=user, action="twofactor.passkey_removed", target=user)
    return bool(removed)


def confirmed_app(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def setup_required(user) -> bool:
    """Must this user set up 2FA before working (checked once, at a password sign-in)?"""
    return SecuritySettings.current().require_2fa and not has_2fa(user)


def totp_begin(*, user) -> TOTPDevice:
    """A new, unconfirmed app device (replacing an earlier unconfirmed one) to show as a QR code."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name=APP_NAME, confirmed=False)


def pending_app(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def totp_confirm(*, user, token: str) -> list[str] | None:
    """Confirm the pending app with a code from it; returns the new recovery codes, or None when the
    code is wrong (or nothing is pending). Any earlier app is replaced."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-pk").first()
        if device is None or not device.verify_token(token.strip().replace(" ", "")):
            return None
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        audit_log(actor=user, action="twofactor.enabled", target=user)
    return codes


def recovery_codes_renew(*, user) -> list[str]:
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        audit_log(actor=user, action="twofactor.recovery_codes_renewed", target=user)
    return codes


def _new_recovery_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def twofactor_remove(*, actor, user) -> bool:
    """Remove every 2FA device of `user`: by the user (turning it off) or by an admin (a reset).
    Audit-logged either way; False when there was nothing to remove."""
    with transaction.atomic():
        removed = sum(
            model.objects.filter(user=user).delete()[0] for model in (TOTPDevice, StaticDevice, WebAuthnCredential)
        )
        if not removed:
            return False
        action = "twofactor.disabled" if actor.pk == user.pk else "twofactor.reset"
        audit_log(actor=actor, action=action, target=user)
    return True


def verify(*, user, token: str):
    """The device that accepts `token` (the app's current code or an unused recovery code, which is
    then used up), or None. Devices are locked while checking, so a code is accepted once."""
    token = token.strip().replace(" ", "").lower()
    if not token:
        return None
    # Six digits are the app's code, anything else a recovery code: trying a code on the wrong kind
    # of device would count a failure against that device's own throttle (django-otp's).
    model = TOTPDevice if token.isdigit() and len(token) == 6 else StaticDevice
    with transaction.atomic():
        for device in model.objects.select_for_update().filter(user=user, confirmed=True):
            if device.verify_token(token):
                return device
    return None


def settings_save(*, actor, require_2fa: bool) -> SecuritySettings:
    with transaction.atomic():
        current = SecuritySettings.objects.select_for_update().get_or_create(pk=1)[0]
        if current.require_2fa != require_2fa:
            current.require_2fa = require_2fa
            current.save()
            audit_log(actor=actor, action="security.settings_changed", data={"require_2fa": require_2fa})
    return current
