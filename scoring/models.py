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


class DailyScore(models.Model):
    """How many answers of each score a day had, per campaign/touchpoint/team/channel/language.

    A rollup of surveys.Response kept current by scoring.rollup.refresh_rollup(): the dashboard's
    NPS panels read these few thousand rows instead of scanning millions of responses.
    """

    day = models.DateField()
    kind = models.CharField(max_length=20)
    campaign_id = models.BigIntegerField()
    touchpoint_id = models.BigIntegerField(null=True)
    team_id = models.BigIntegerField(null=True)
    channel = models.CharField(max_length=10)
    language = models.CharField(max_length=8)
    score = models.PositiveSmallIntegerField()
    n = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["day", "kind"], name="dailyscore_day_kind")]


class RollupState(models.Model):
    """The newest Response.updated_at already counted in DailyScore (a single row)."""

    watermark = models.DateTimeField(null=True)
