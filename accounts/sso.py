"""Single sign-on with OpenID Connect (filled in below)."""

from django.conf import settings


def configured() -> bool:
    return bool(settings.OIDC["ISSUER"] and settings.OIDC["CLIENT_ID"])


def button() -> dict | None:
    """What the login page shows for SSO, or None when SSO is not configured."""
    if not configured():
        return None
    return {"label": settings.OIDC["PROVIDER_NAME"] or "single sign-on"}
