"""Sign-in records: the site's security settings and the log of failed sign-in attempts."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SecuritySettings(models.Model):
    """Sign-in settings an admin changes in the app (one row). SSO is configured from the environment."""

    require_2fa = models.BooleanField(
        _("require two-factor authentication for all staff"),
        default=False,
        help_text=_(
            "Staff who sign in with a password and have no authenticator app yet are sent to set one up "
            "before they can use Kringloop."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("security settings")
        verbose_name_plural = _("security settings")

    def __str__(self):
        return "Security settings"

    @classmethod
    def current(cls) -> "SecuritySettings":
        return cls.objects.get_or_create(pk=1)[0]


class FailedLogin(models.Model):
    """One failed or refused sign-in attempt, shown to admins on the sign-in security page."""

    class Reason(models.TextChoices):
        PASSWORD = "password", _("Wrong username or password")
        THROTTLED = "throttled", _("Refused: too many failures, waiting")
        CODE = "code", _("Wrong two-factor code")
        SSO_ONLY = "sso_only", _("Refused: password sign-in is off (single sign-on only)")
        SSO = "sso", _("Single sign-on refused")

    username = models.CharField(_("username"), max_length=254, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    ip = models.CharField(_("address"), max_length=64, db_index=True)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("failed sign-in")
        verbose_name_plural = _("failed sign-ins")

    def __str__(self):
        return f"{self.username} from {self.ip}: {self.reason}"
