"""Helpers for tests that sign in with two-factor authentication."""

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import twofactor


def code_for(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows for `device` now, or `steps_ahead` periods (30 s) later.
    A code is accepted once and within one period either side, so a test that signs in after setting
    up the app uses the next period's code."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + steps_ahead):06d}"


def with_app(user) -> tuple[TOTPDevice, list[str]]:
    """Give `user` a confirmed authenticator app; its device and recovery codes."""
    device = twofactor.totp_begin(user=user)
    codes = twofactor.totp_confirm(user=user, token=code_for(device))
    assert codes, "the app could not be confirmed"
    device.refresh_from_db()
    return device, codes
