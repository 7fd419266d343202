"""Passkeys (WebAuthn), through django-otp-webauthn: a second kind of two-factor device.

A passkey is a key pair held by the phone, laptop or security key, unlocked there with a
fingerprint, face or PIN; the site keeps only the public key. It signs in on its own (what you have
plus what you are or know), so the login page offers "Sign in with a passkey" next to the password
(not with SSO_ONLY: then staff sign in through SSO). Staff add passkeys on their two-factor page;
a user who already has 2FA must have verified it in this session first (the library checks).

The library's views do the WebAuthn ceremonies; the subclasses here add what Kringloop needs around
them: the audit log, the "set up 2FA first" flag, and refusal while SSO_ONLY is on. They are
mounted under the library's URL names (namespace otp_webauthn), which its JavaScript reads.
"""

from django.conf import settings
from django.urls import path
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import exceptions as webauthn_exceptions
from django_otp_webauthn import views as webauthn_views

from accounts.twofactor import SETUP_SESSION_KEY
from core.audit import audit_log


class RegistrationComplete(webauthn_views.CompleteCredentialRegistrationView):
    def post(self, *args, **kwargs):
        response = super().post(*args, **kwargs)
        if response.status_code == 200:
            self.request.session.pop(SETUP_SESSION_KEY, None)
            audit_log(actor=self.request.user, action="twofactor.passkey_added", target=self.request.user)
        return response


class AuthenticationBegin(webauthn_views.BeginCredentialAuthenticationView):
    def check_can_authenticate(self):
        if settings.SSO_ONLY and not self.request.user.is_authenticated:
            raise webauthn_exceptions.PasswordlessLoginDisabled()
        super().check_can_authenticate()


class AuthenticationComplete(webauthn_views.CompleteCredentialAuthenticationView):
    def check_can_authenticate(self):
        if settings.SSO_ONLY and not self.request.user.is_authenticated:
            raise webauthn_exceptions.PasswordlessLoginDisabled()
        super().check_can_authenticate()

    def complete_auth(self, device):
        super().complete_auth(device)
        audit_log(actor=device.user, action="login.passkey", target=device.user)


app_name = "otp_webauthn"
urlpatterns = [
    path(
        "registration/begin/",
        webauthn_views.BeginCredentialRegistrationView.as_view(),
        name="credential-registration-begin",
    ),
    path("registration/complete/", RegistrationComplete.as_view(), name="credential-registration-complete"),
    path("authentication/begin/", AuthenticationBegin.as_view(), name="credential-authentication-begin"),
    path("authentication/complete/", AuthenticationComplete.as_view(), name="credential-authentication-complete"),
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]), name="js-i18n-catalog"),
]
