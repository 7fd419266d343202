"""Reads for the sign-in security page."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, Max, OuterRef, Q
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts.models import FailedLogin


def staff_with_2fa():
    """Every user, with `has_app` (a confirmed authenticator app) and `has_passkey`."""
    apps = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    keys = WebAuthnCredential.objects.filter(user=OuterRef("pk"), confirmed=True)
    return get_user_model().objects.order_by("username").annotate(has_app=Exists(apps), has_passkey=Exists(keys))


def failed_logins_recent(*, limit: int = 100):
    return FailedLogin.objects.all()[:limit]


def failed_logins_by_source(*, hours: int = 24):
    """Failures in the last `hours`, per username and address, most first."""
    since = timezone.now() - timedelta(hours=hours)
    return (
        FailedLogin.objects.filter(created_at__gte=since)
        .values("username", "ip")
        .annotate(
            failures=Count("id"),
            refused=Count("id", filter=Q(reason=FailedLogin.Reason.THROTTLED)),
            last=Max("created_at"),
        )
        .order_by("-failures", "-last")[:50]
    )
