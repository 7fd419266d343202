"""Login with a lock-out after repeated failures.

Failures are counted per username and per client address in the shared cache (Redis in
production), so every web process sees the same count. After LOCKOUT_FAILURES failures within
LOCKOUT_SECONDS the login is refused for the rest of that window, even with the right password.
If the cache is unreachable we fail open (logins keep working) rather than lock everyone out.
"""

import hashlib
import logging

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from core.audit import audit_log
from core.ratelimit import client_ip

logger = logging.getLogger(__name__)

LOCKOUT_FAILURES = 5
LOCKOUT_SECONDS = 15 * 60


def _keys(username: str, ip: str) -> list[str]:
    user_key = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return [f"login-fail:user:{user_key}", f"login-fail:ip:{ip}"]


def _limits(username: str, ip: str) -> list[tuple[str, int]]:
    # Per username: LOCKOUT_FAILURES. Per address a little more, for shared offices behind one NAT.
    keys = _keys(username, ip)
    return [(keys[0], LOCKOUT_FAILURES), (keys[1], LOCKOUT_FAILURES * 4)]


def is_locked(username: str, ip: str) -> bool:
    try:
        return any((cache.get(key) or 0) >= limit for key, limit in _limits(username, ip))
    except Exception:
        logger.warning("Login lock-out check skipped: cache unavailable", exc_info=True)
        return False


def record_failure(username: str, ip: str) -> None:
    try:
        for key in _keys(username, ip):
            if cache.add(key, 1, LOCKOUT_SECONDS) is False:
                cache.incr(key)
    except Exception:
        logger.warning("Login failure not counted: cache unavailable", exc_info=True)


def clear_failures(username: str, ip: str) -> None:
    try:
        cache.delete(_keys(username, ip)[0])
    except Exception:
        pass


class LockoutAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": _("Too many failed attempts. For your security, logging in is blocked for 15 minutes."),
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request) if self.request else "unknown"
        if is_locked(username, ip):
            raise forms.ValidationError(self.error_messages["locked"], code="locked")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            record_failure(username, ip)
            if is_locked(username, ip):
                audit_log(actor=None, action="login.locked", data={"username": username[:150], "ip": ip})
            raise
        clear_failures(username, ip)
        return cleaned


class LockoutLoginView(LoginView):
    form_class = LockoutAuthenticationForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if any(e.code == "locked" for e in form.non_field_errors().as_data()):
            response.status_code = 429
        return response
