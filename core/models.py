"""Records shared by every app: teams, the e-mail ledger and outbox, the audit log."""

from django.conf import settings
from django.db import models


class Team(models.Model):
    """A group of staff that owns follow-ups and has an NPS target."""

    name = models.CharField(max_length=100, unique=True)
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="led_teams")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="teams")
    nps_target = models.IntegerField(null=True, blank=True, help_text="NPS the team aims for (-100 to 100).")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class EmailDelivery(models.Model):
    """One row per e-mail we intend to send exactly once, keyed by what it is about.

    The unique key is the idempotency guarantee: a task that runs twice finds the row already
    marked sent and sends nothing (see core.mail.send_once).
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed"

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=50, db_index=True)
    to = models.EmailField(max_length=254)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    message_id = models.CharField(max_length=200, blank=True, db_index=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

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

    def __str__(self):
        return f"{self.actor_name or 'system'} {self.action} {self.target_repr}"


class UserProfile(models.Model):
    """Per-user preferences staff set themselves."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    weekly_digest = models.BooleanField(default=False, help_text="Receive the weekly NPS digest e-mail.")

    def __str__(self):
        return f"Profile of {self.user}"
