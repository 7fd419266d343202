"""Staff who must set up two-factor authentication see only the set-up page until they have.

The flag is put in the session at a password sign-in (accounts.login.finish_login) when the
"require 2FA" setting is on and the user has no authenticator app, so this middleware reads the
session only and adds no query to any page.
"""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.twofactor import SETUP_SESSION_KEY


class TwoFactorSetupMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.get(SETUP_SESSION_KEY) and request.user.is_authenticated:
            # The set-up page, its passkey ceremonies (JSON for the library's script) and logging out.
            allowed = (
                reverse("accounts:twofactor"),
                "/account/passkeys/",
                reverse("core:logout"),
                "/static/",
                "/i18n/",
            )
            if not request.path.startswith(allowed):
                messages.warning(
                    request, _("Your organisation requires two-factor authentication. Set it up to go on.")
                )
                return redirect("accounts:twofactor")
        return self.get_response(request)
