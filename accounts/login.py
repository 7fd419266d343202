"""Staff sign-in: password (throttled, accounts.throttle), then a two-factor code when the user has
an authenticator app or passkey (accounts.twofactor), or single sign-on (accounts.sso). Passkey
sign-in itself runs through django-otp-webauthn's views (accounts.passkeys).

The password step never logs in a user who has 2FA: it remembers who passed it in the session for
a few minutes and sends them to the code step, which logs in. With SSO_ONLY the password step
accepts only the break-glass admin (BREAK_GLASS_USERNAME); everyone else signs in through SSO.
"""

import time

import django_otp
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from accounts import sso, throttle, twofactor
from accounts.models import FailedLogin
from core.audit import audit_log
from core.ratelimit import client_ip

PENDING_KEY = "kr_2fa_pending"
PENDING_SECONDS = 5 * 60


def password_login_allowed(username: str) -> bool:
    """With SSO_ONLY, only the break-glass admin may sign in (or reset a password) with a password."""
    if not settings.SSO_ONLY:
        return True
    return bool(settings.BREAK_GLASS_USERNAME) and username.strip().lower() == settings.BREAK_GLASS_USERNAME.lower()


def _user_named(username: str):
    User = get_user_model()
    return User.objects.filter(**{f"{User.USERNAME_FIELD}__iexact": username.strip()}).first() if username else None


def record_failed(*, username: str, ip: str, reason: str, user=None) -> None:
    FailedLogin.objects.create(
        username=username.strip()[:254], ip=ip[:64], reason=reason, user=user or _user_named(username)
    )


class Throttled(forms.ValidationError):
    def __init__(self, wait: int):
        super().__init__(
            gettext_lazy("Too many failed attempts. Please wait %(seconds)s seconds and try again."),
            code="throttled",
            params={"seconds": wait},
        )
        self.wait = wait


class ThrottledAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "sso_only": gettext_lazy("Password sign-in is turned off. Please sign in with single sign-on."),
    }

    def clean(self):
        username = (self.cleaned_data.get("username") or "")[:254]
        ip = client_ip(self.request) if self.request else "unknown"
        if not password_login_allowed(username):
            record_failed(username=username, ip=ip, reason=FailedLogin.Reason.SSO_ONLY)
            raise forms.ValidationError(self.error_messages["sso_only"], code="sso_only")
        wait = max(throttle.wait_seconds(username, ip), throttle.attempt_allowed(username, ip))
        if wait:
            record_failed(username=username, ip=ip, reason=FailedLogin.Reason.THROTTLED)
            raise Throttled(wait)
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            failures = throttle.record_failure(username, ip)
            record_failed(username=username, ip=ip, reason=FailedLogin.Reason.PASSWORD)
            if failures == throttle.PAIR_FREE + 1:
                audit_log(actor=None, action="login.throttled", data={"username": username[:150], "ip": ip})
            raise
        throttle.clear(username, ip)
        return cleaned


def _throttled_wait(form) -> int:
    for error in form.non_field_errors().as_data():
        if error.code == "throttled":
            return error.params["seconds"]
    return 0


def _safe_next(request, url: str) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return settings.LOGIN_REDIRECT_URL


def finish_login(request, user, *, device=None, via_sso: bool = False) -> None:
    """Log `user` in, remember the second factor used and whether 2FA must still be set up."""
    auth_login(request, user)
    if device is not None:
        django_otp.login(request, device)
    if via_sso:
        request.session["kr_sso"] = True
    elif device is None and twofactor.setup_required(user):
        request.session[twofactor.SETUP_SESSION_KEY] = True


class SignInView(LoginView):
    form_class = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "sso": sso.button(), "sso_only": settings.SSO_ONLY}

    def form_valid(self, form):
        user = form.get_user()
        next_url = self.get_success_url()
        if twofactor.has_2fa(user):
            self.request.session.cycle_key()
            self.request.session[PENDING_KEY] = {
                "user": user.pk,
                "backend": user.backend,
                "next": next_url,
                "at": time.time(),
            }
            return redirect("accounts:login_verify")
        finish_login(self.request, user)
        return redirect(next_url)

    def form_invalid(self, form):
        response = super().form_invalid(form)
        wait = _throttled_wait(form)
        if wait:
            response.status_code = 429
            response["Retry-After"] = str(wait)
        return response


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=20,
        help_text=gettext_lazy("The 6-digit code from your authenticator app, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}),
    )


def _pending_user(request):
    pending = request.session.get(PENDING_KEY)
    if not pending or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None, None
    user = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    if user is not None:
        user.backend = pending["backend"]
    return user, pending


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def login_verify(request):
    """The second step: a code from the authenticator app or a recovery code."""
    user, pending = _pending_user(request)
    if user is None:
        request.session.pop(PENDING_KEY, None)
        messages.info(request, _("Please sign in again."))
        return redirect("accounts:login")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        ip = client_ip(request)
        username = user.get_username()
        wait = max(throttle.wait_seconds(username, ip), throttle.attempt_allowed(username, ip))
        if wait:
            record_failed(username=username, ip=ip, reason=FailedLogin.Reason.THROTTLED, user=user)
            form.add_error(None, Throttled(wait))
            response = render(
                request, "accounts/login_verify.html", {"form": form, "sso_only": settings.SSO_ONLY}, status=429
            )
            response["Retry-After"] = str(wait)
            return response
        device = twofactor.verify(user=user, token=form.cleaned_data["code"])
        if device is None:
            throttle.record_failure(username, ip)
            record_failed(username=username, ip=ip, reason=FailedLogin.Reason.CODE, user=user)
            form.add_error("code", _("This code is not valid. Check the time on your phone, or use a recovery code."))
            status = 400
        else:
            throttle.clear(username, ip)
            del request.session[PENDING_KEY]
            finish_login(request, user, device=device)
            if device.name == twofactor.RECOVERY_NAME:
                audit_log(actor=user, action="twofactor.recovery_code_used", target=user)
                left = twofactor.recovery_codes_left(user)
                messages.warning(
                    request,
                    _("You signed in with a recovery code; %(left)s are left. Make new ones on your two-factor page.")
                    % {"left": left},
                )
            return redirect(_safe_next(request, pending.get("next", "")))
    elif request.method == "POST":
        status = 400
    return render(request, "accounts/login_verify.html", {"form": form, "sso_only": settings.SSO_ONLY}, status=status)


@never_cache
@require_http_methods(["GET"])
def sso_login(request):
    """Start single sign-on: off to the identity provider."""
    if not sso.configured():
        raise Http404
    try:
        return redirect(sso.begin(request, next_url=_safe_next(request, request.GET.get("next", ""))))
    except sso.SSOError as error:
        return _sso_refused(request, error, claims={})


@never_cache
@require_http_methods(["GET"])
def sso_callback(request):
    """The identity provider sends the browser back here with a code."""
    if not sso.configured():
        raise Http404
    claims = {}
    try:
        claims, next_url = sso.complete(request)
        user = sso.user_for(claims)
    except sso.SSOError as error:
        return _sso_refused(request, error, claims=claims)
    user.backend = "django.contrib.auth.backends.ModelBackend"
    finish_login(request, user, via_sso=True)
    audit_log(actor=user, action="sso.login", target=user, data={"issuer": claims.get("iss"), "sub": claims.get("sub")})
    return redirect(_safe_next(request, next_url))


def _sso_refused(request, error, *, claims: dict):
    ip = client_ip(request)
    email = str(claims.get("email") or "")[:254]
    record_failed(username=email, ip=ip, reason=FailedLogin.Reason.SSO)
    audit_log(actor=None, action="sso.refused", data={"reason": error.code, "email": email, "ip": ip})
    form = ThrottledAuthenticationForm(request)
    context = {"form": form, "sso": sso.button(), "sso_only": settings.SSO_ONLY, "sso_error": error.message}
    return render(request, "registration/login.html", context, status=503 if error.code == "unreachable" else 403)
