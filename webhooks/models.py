"""Outbound webhooks: the endpoints admins register, one delivery per (event, endpoint), and every
attempt to send it."""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """256 random bits; receivers use the whole string (prefix included) as the HMAC key."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


class Endpoint(models.Model):
    class Format(models.TextChoices):
        KRINGLOOP = "kringloop", _("Kringloop JSON, signed (your own system)")
        SLACK = "slack", _("Slack (incoming webhook)")
        TEAMS = "teams", _("Microsoft Teams (workflow webhook)")

    CHAT_FORMATS = (Format.SLACK, Format.TEAMS)

    url = models.URLField(_("URL"), max_length=500)
    # Slack and Teams get a message in their own format (webhooks.chat), in the team's language,
    # about that team's cases only (all teams' when no team is set).
    format = models.CharField(_("format"), max_length=10, choices=Format.choices, default=Format.KRINGLOOP)
    team = models.ForeignKey(
        "core.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="chat_endpoints",
        verbose_name=_("team"),
        help_text=_("Only this team's cases, improvements and summaries; empty: every team's."),
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list)  # event type names, see webhooks.events.EVENT_TYPES
    active = models.BooleanField(_("active"), default=True)
    secret = models.CharField(max_length=100, default=new_secret)
    # After a rotation the old secret also signs, until this moment, so receivers can switch over.
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["url", "id"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self):
        return self.url

    @property
    def is_chat(self) -> bool:
        return self.format in self.CHAT_FORMATS


class Delivery(models.Model):
    """One event for one endpoint. The body is serialised once, so every attempt sends the same bytes."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("webhook delivery", "Pending")
        DELIVERED = "delivered", pgettext_lazy("webhook delivery", "Delivered")
        FAILED = "failed", pgettext_lazy("webhook delivery", "Failed")
        CANCELLED = "cancelled", pgettext_lazy("webhook delivery", "Cancelled")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(_("event"), max_length=40)
    # What a scheduled event is about ("summary.weekly:2026-11-30:3"): one delivery per endpoint
    # and key, however often the schedule runs. Empty for events that happen once by themselves.
    key = models.CharField(max_length=200, blank=True, default="")
    body = models.TextField()
    # The contact the payload names, if any (no foreign key: the log outlives nothing it points at),
    # so erasing a contact also removes what the log holds about them.
    contact_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Six: the first try and the five waits of webhooks.delivery.RETRY_DELAYS. A re-send adds one.
    max_attempts = models.PositiveSmallIntegerField(default=6)
    next_attempt_at = models.DateTimeField(null=True, blank=True)  # set while pending
    # A worker that took the delivery holds it until then; a lease rather than a row lock, so no
    # transaction stays open during the HTTP request, and a killed worker's claim simply expires.
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)  # also the payload's "created"
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "key"], condition=~Q(key=""), name="webhook_delivery_once_per_key"
            ),
        ]
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log"),
            models.Index(fields=["next_attempt_at"], name="webhook_delivery_due", condition=Q(status="pending")),
        ]

    def __str__(self):
        return f"{self.event} → {self.endpoint_id} ({self.status})"


class DeliveryAttempt(models.Model):
    """One HTTP request: what was sent (headers) and what came back."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    url = models.URLField(max_length=500)
    request_headers = models.JSONField(default=dict)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    retry_at = models.DateTimeField(null=True, blank=True)  # when the next attempt was scheduled, if any

    class Meta:
        ordering = ["number", "id"]

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
