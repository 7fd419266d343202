"""Authentication: passwords, two-factor authentication, passkeys, single sign-on (OpenID Connect)."""

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_choice, env_int, env_str
from config.settings.base import COMPANY_NAME, SITE_URL, TESTING

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
# How long a password-reset link works (seconds).
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3600, minimum=300)
# Two-factor authentication (django-otp): the issuer shown in authenticator apps.
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", f"Kringloop {COMPANY_NAME}")
# Passkeys (django-otp-webauthn, accounts/passkeys.py): bound to the site's host name and origin.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "django_otp_webauthn.backends.WebAuthnBackend",  # sign-in with a passkey
]
OTP_WEBAUTHN_RP_NAME = "Kringloop"
_site = urlsplit(SITE_URL)
if _site.scheme == "https":
    OTP_WEBAUTHN_RP_ID = _site.hostname
    OTP_WEBAUTHN_ALLOWED_ORIGINS = [SITE_URL]
else:
    # Browsers offer passkeys over plain http only on localhost: open the demo at http://localhost:8000.
    OTP_WEBAUTHN_RP_ID = "localhost"
    OTP_WEBAUTHN_ALLOWED_ORIGINS = [f"http://localhost:{_site.port or 80}"]

# Single sign-on with OpenID Connect (accounts/sso.py). Off unless OIDC_ISSUER and OIDC_CLIENT_ID are set.
OIDC = {
    "ISSUER": env_str("OIDC_ISSUER", "").rstrip("/"),
    "CLIENT_ID": env_str("OIDC_CLIENT_ID", ""),
    "CLIENT_SECRET": env_str("OIDC_CLIENT_SECRET", ""),
    "SCOPES": env_str("OIDC_SCOPES", "openid email profile"),
    "PROVIDER_NAME": env_str("OIDC_PROVIDER_NAME", ""),
    "CREATE_USERS": env_bool("OIDC_CREATE_USERS", False),
    "DEFAULT_ROLE": env_choice("OIDC_DEFAULT_ROLE", "viewer", ("viewer", "agent", "admin", "none")),
}
# Staff sign in only through SSO; the password login then accepts only the break-glass admin.
SSO_ONLY = env_bool("SSO_ONLY", False)
BREAK_GLASS_USERNAME = env_str("BREAK_GLASS_USERNAME", "")
if SSO_ONLY and not (OIDC["ISSUER"] and OIDC["CLIENT_ID"]):
    raise ImproperlyConfigured("SSO_ONLY needs single sign-on configured: set OIDC_ISSUER and OIDC_CLIENT_ID.")
if SSO_ONLY and not BREAK_GLASS_USERNAME:
    raise ImproperlyConfigured(
        "SSO_ONLY needs BREAK_GLASS_USERNAME: the one admin who may still sign in with a password."
    )
