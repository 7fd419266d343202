"""Records shared by every app: teams, the e-mail ledger and outbox, the audit log."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Team(models.Model):
    """A group of staff that owns follow-ups and has an NPS target."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_teams",
        verbose_name=_("team lead"),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="teams", verbose_name=_("members")
    )
    nps_target = models.IntegerField(
        _("NPS target"), null=True, blank=True, help_text=_("NPS the team aims for (-100 to 100).")
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("The language of the team's Slack and Teams messages."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self):
        return self.name


class EmailDelivery(models.Model):
    """One row per e-mail we intend to send exactly once, keyed by what it is about.

    The unique key is the idempotency guarantee: a task that runs twice finds the row already
    marked sent and sends nothing (see core.mail.send_once).
    """

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("e-mail status", "Pending")
        SENT = "sent", pgettext_lazy("e-mail status", "Sent")
        FAILED = "failed", pgettext_lazy("e-mail status", "Failed")

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=50, db_index=True)
    to = models.EmailField(max_length=254)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    message_id = models.CharField(max_length=200, blank=True, db_index=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("e-mail delivery")
        verbose_name_plural = _("e-mail deliveries")

    def __str__(self):
        return f"{self.kind} to {self.to} ({self.status})"


class OutboxMessage(models.Model):
    """An e-mail stored instead of sent: the development and demo mail server, readable at /outbox/."""

    message_id = models.CharField(max_length=200, unique=True)
    from_email = models.CharField(max_length=254)
    to = models.TextField()
    subject = models.CharField(max_length=998)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    headers = models.JSONField(default=dict)
    tags = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")

    def __str__(self):
        return f"{self.subject} → {self.to}"


class AuditLog(models.Model):
    """Who did what, when: campaign, routing and case changes, exports, erasures."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=80, db_index=True)
    target_type = models.CharField(max_length=80, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")

    def __str__(self):
        return f"{self.actor_name or 'system'} {self.action} {self.target_repr}"


class UserProfile(models.Model):
    """Per-user preferences staff set themselves."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default="en",
        help_text=_("The language of your pages and of the e-mails Kringloop sends you."),
    )

    class Meta:
        verbose_name = _("user profile")
        verbose_name_plural = _("user profiles")

    def __str__(self):
        return f"Profile of {self.user}"


class RetentionSettings(models.Model):
    """How long personal data is kept (one row, changed by admins on the Data retention page).
    Empty: kept until removed by hand. The nightly task (core.retention) removes what is older and
    notes here what it removed last."""

    comments_days = models.PositiveIntegerField(
        _("comments (days)"),
        null=True,
        blank=True,
        help_text=_("Customers' comments and written answers older than this are removed; their scores stay."),
    )
    contacts_days = models.PositiveIntegerField(
        _("contacts without answers (days)"),
        null=True,
        blank=True,
        help_text=_("Contacts added this long ago who never answered are erased."),
    )
    emails_days = models.PositiveIntegerField(
        _("customers' e-mails (days)"),
        null=True,
        blank=True,
        help_text=_(
            "E-mails customers sent to a reply address, with their kept attachments, older than this are removed;"
            " the case history keeps a line saying one came."
        ),
    )
    outbox_days = models.PositiveIntegerField(
        _("outbox messages (days)"), null=True, blank=True, help_text=_("Copies of sent e-mails older than this go.")
    )
    audit_days = models.PositiveIntegerField(
        _("audit log entries (days)"), null=True, blank=True, help_text=_("Audit log entries older than this go.")
    )
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_removed = models.JSONField(default=dict, blank=True)  # {part name: how many}
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("retention settings")
        verbose_name_plural = _("retention settings")

    def __str__(self):
        return "Retention settings"

    @classmethod
    def current(cls) -> "RetentionSettings":
        return cls.objects.get_or_create(pk=1)[0]
