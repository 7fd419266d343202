"""Scoring keeps little state of its own: aggregates are computed from surveys.Response."""

from django.conf import settings
from django.db import models


class DigestDelivery(models.Model):
    """The weekly digest sent to one recipient for one week: the unique pair makes it once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    week_start = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "week_start"], name="digest_once_per_week")]


class CompanySettings(models.Model):
    """Company-wide targets (a single row)."""

    nps_target = models.IntegerField(null=True, blank=True)
