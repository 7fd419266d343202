"""The reports' records: board reports made by the worker, scheduled reports (subscriptions) and
alerts on real drops of NPS."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from surveys.models import new_token


class BoardReport(models.Model):
    """One board report asked for on the dashboard: made by the worker (scoring.report_jobs), which
    notes its progress here, then kept for its reader to download for a day."""

    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("report status", "Waiting for a worker")
        RUNNING = "running", pgettext_lazy("report status", "Being made")
        DONE = "done", pgettext_lazy("report status", "Ready")
        FAILED = "failed", pgettext_lazy("report status", "Failed")

    token = models.CharField(max_length=40, unique=True, default=new_token)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    query = models.TextField(blank=True)  # the dashboard's filters, as its query string
    language = models.CharField(max_length=8, default="en")
    name_customers = models.BooleanField(default=False)  # an admin chose to name the customers quoted
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    error = models.TextField(blank=True)
    pdf = models.BinaryField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("board report")
        verbose_name_plural = _("board reports")

    def __str__(self):
        return f"board report {self.pk} ({self.status})"


WEEKDAYS = (
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
)


class ReportSubscription(models.Model):
    """A report e-mailed on a schedule: the dashboard's filters (without their period: each e-mail
    covers the week or month before it), to one user or to a team (its lead and members, less those
    who unsubscribed), weekly or monthly at a day and hour in the company's time zone. Sent once per
    period and recipient through the send-once ledger (scoring.subscriptions)."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", _("Weekly")
        MONTHLY = "monthly", _("Monthly")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="report_subscriptions",
        verbose_name=_("recipient"),
    )
    team = models.ForeignKey(
        "core.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="report_subscriptions",
        verbose_name=_("team"),
        help_text=_("Every member and the lead of this team get it."),
    )
    excluded = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    query = models.TextField(blank=True)  # the dashboard's filters, as a query string without the period
    frequency = models.CharField(_("how often"), max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY)
    weekday = models.PositiveSmallIntegerField(_("day of the week"), choices=WEEKDAYS, default=0)
    day_of_month = models.PositiveSmallIntegerField(_("day of the month"), default=1)  # 1–28
    hour = models.PositiveSmallIntegerField(_("hour"), default=8)  # 0–23, the company's time zone
    active = models.BooleanField(_("active"), default=True)
    # The weekly report every team lead gets for their team (it replaced the fixed Monday digest).
    default_for_team = models.ForeignKey("core.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, team__isnull=True) | Q(user__isnull=True, team__isnull=False),
                name="subscription_one_recipient",
            ),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="subscription_weekday"),
            models.CheckConstraint(condition=Q(day_of_month__gte=1, day_of_month__lte=28), name="subscription_day"),
            models.CheckConstraint(condition=Q(hour__lte=23), name="subscription_hour"),
            models.UniqueConstraint(
                fields=["user", "default_for_team"],
                condition=Q(default_for_team__isnull=False),
                name="subscription_default_once",
            ),
        ]
        verbose_name = _("scheduled report")
        verbose_name_plural = _("scheduled reports")

    def __str__(self):
        return f"{self.frequency} report {self.pk}"


class NpsAlert(models.Model):
    """A team's or touchpoint's NPS that really dropped in a period: below its target (from at or
    above it), or significantly lower than the period before (scoring.alerts). At most one per team
    or touchpoint and period; `findings` holds what was found per survey type."""

    class Scope(models.TextChoices):
        TEAM = "team", _("Team")
        TOUCHPOINT = "touchpoint", _("Touchpoint")

    scope = models.CharField(max_length=12, choices=Scope.choices)
    team = models.ForeignKey("core.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    touchpoint = models.ForeignKey(
        "surveys.Touchpoint", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    period_start = models.DateField()
    period_end = models.DateField()
    # [{"kind", "reasons": ["below_target", "significant_drop"], "nps", "n", "margin", "previous_nps",
    #   "previous_n", "delta", "z", "target"}]
    findings = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    notified_at = models.DateTimeField(null=True, blank=True)  # every recipient told (e-mail, chat)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "period_start"], condition=Q(scope="team"), name="alert_once_per_team_period"
            ),
            models.UniqueConstraint(
                fields=["touchpoint", "period_start"],
                condition=Q(scope="touchpoint"),
                name="alert_once_per_touchpoint_period",
            ),
        ]
        verbose_name = _("NPS alert")
        verbose_name_plural = _("NPS alerts")

    def __str__(self):
        return f"{self.scope} alert {self.pk} ({self.period_start})"
