from base64 import b32encode

import segno
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts import queries, twofactor
from accounts.forms import ConfirmAppForm, SecuritySettingsForm
from accounts.models import SecuritySettings
from core.roles import admin_required


def _qr_svg(url: str) -> str:
    return segno.make(url, error="m").svg_inline(scale=5, dark="#000", light="#fff")


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def twofactor_page(request):
    """The user's own 2FA: start setting up an app (POST action=begin), confirm it with a code
    (POST action=confirm), or see its state."""
    user = request.user
    form = ConfirmAppForm(request.POST if request.POST.get("action") == "confirm" else None)
    codes = None
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "begin":
            twofactor.totp_begin(user=user)
            return redirect("accounts:twofactor")
        if action == "confirm" and form.is_valid():
            codes = twofactor.totp_confirm(user=user, token=form.cleaned_data["code"])
            if codes is None:
                form.add_error("code", _("This code is not valid. Check the time on your phone and try again."))
                status = 400
            else:
                request.session.pop(twofactor.SETUP_SESSION_KEY, None)
                messages.success(request, _("Two-factor authentication is on."))
        elif action == "confirm":
            status = 400
    pending = None if codes is not None else twofactor.pending_app(user)
    context = {
        "form": form,
        "codes": codes,
        "has_2fa": twofactor.has_2fa(user),
        "has_app": twofactor.has_app(user),
        "passkeys": twofactor.passkeys(user),
        "pending": pending,
        "qr": _qr_svg(pending.config_url) if pending else "",
        "secret": b32encode(pending.bin_key).decode() if pending else "",
        "codes_left": twofactor.recovery_codes_left(user),
        "required": SecuritySettings.current().require_2fa,
        "setup_required": bool(request.session.get(twofactor.SETUP_SESSION_KEY)),
    }
    return render(request, "accounts/twofactor.html", context, status=status)


@login_required
@require_POST
def twofactor_recovery_codes(request):
    if not twofactor.has_app(request.user):
        return redirect("accounts:twofactor")
    codes = twofactor.recovery_codes_renew(user=request.user)
    messages.success(request, _("New recovery codes made; the old ones no longer work."))
    return render(
        request,
        "accounts/twofactor.html",
        {"codes": codes, "has_2fa": True, "has_app": True, "codes_left": len(codes), "form": ConfirmAppForm()},
    )


@login_required
@require_POST
def twofactor_disable(request):
    if SecuritySettings.current().require_2fa:
        messages.error(request, _("Your organisation requires two-factor authentication; it cannot be turned off."))
        return redirect("accounts:twofactor")
    if twofactor.twofactor_remove(actor=request.user, user=request.user):
        messages.success(request, _("Two-factor authentication is off."))
    return redirect("accounts:twofactor")


@login_required
@require_POST
def passkey_remove(request, pk: int):
    if (
        SecuritySettings.current().require_2fa
        and twofactor.passkeys(request.user).count() == 1
        and not (twofactor.has_app(request.user))
    ):
        messages.error(request, _("Your organisation requires two-factor authentication; it cannot be turned off."))
        return redirect("accounts:twofactor")
    if twofactor.passkey_remove(user=request.user, pk=pk):
        messages.success(request, _("Passkey removed."))
    return redirect("accounts:twofactor")


@admin_required
@require_http_methods(["GET", "POST"])
def security(request):
    """Admins: the require-2FA setting, each user's 2FA (with a reset) and failed sign-ins."""
    form = SecuritySettingsForm(request.POST or None, instance=SecuritySettings.current())
    if request.method == "POST" and form.is_valid():
        twofactor.settings_save(actor=request.user, require_2fa=form.cleaned_data["require_2fa"])
        messages.success(request, _("Security settings saved."))
        return redirect("accounts:security")
    return render(
        request,
        "accounts/security.html",
        {
            "form": form,
            "users": queries.staff_with_2fa(),
            "failures": queries.failed_logins_recent(),
            "sources": queries.failed_logins_by_source(),
        },
        status=400 if request.method == "POST" else 200,
    )


@admin_required
@require_POST
def security_reset_2fa(request, pk: int):
    user = get_object_or_404(get_user_model(), pk=pk)
    if twofactor.twofactor_remove(actor=request.user, user=user):
        messages.success(
            request,
            _("Two-factor authentication of %(username)s was reset.") % {"username": user.get_username()},
        )
    return redirect("accounts:security")
