"""Sending: a campaign's waves and the invitations in them."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from surveys.models.campaigns import Campaign
from surveys.models.common import new_token
from surveys.models.contacts import Contact


class SendWave(models.Model):
    """One sending of a campaign (the first, or a recurrence)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="waves")
    number = models.PositiveIntegerField(default=1)
    scheduled_for = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(default=0)
    # Invitations due (send_after) up to this instant have been handed to the queue; the beat only
    # queues those that became due since, so a long wave is not queued again every minute.
    enqueued_until = models.DateTimeField(null=True, blank=True)
    # The last time a batch of this wave was queued or sent something. A wave with queued
    # invitations and no activity for a while (a lost task, a broker outage) is queued again.
    active_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["campaign", "number"], name="wave_number_unique")]
        verbose_name = _("sending wave")
        verbose_name_plural = _("sending waves")

    def __str__(self):
        return f"{self.campaign} wave {self.number}"


class Invitation(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("invitation status", "Queued")
        SENT = "sent", pgettext_lazy("invitation status", "Sent")
        SKIPPED = "skipped", pgettext_lazy("invitation status", "Skipped")
        FAILED = "failed", pgettext_lazy("invitation status", "Failed")
        BOUNCED = "bounced", pgettext_lazy("invitation status", "Bounced")
        ANSWERED = "answered", pgettext_lazy("invitation status", "Answered")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="invitations")
    wave = models.ForeignKey(SendWave, null=True, blank=True, on_delete=models.CASCADE, related_name="invitations")
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="invitations", db_index=False
    )  # leads the invitation_contact_sent index
    token = models.CharField(max_length=40, unique=True, default=new_token)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    skip_reason = models.CharField(max_length=100, blank=True)
    failure_reason = models.TextField(blank=True)
    provider_message_id = models.CharField(max_length=200, blank=True, db_index=True)
    send_after = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Idempotency key for API-triggered transactional surveys.
    trigger_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    # Who served the customer in the event that triggered the survey (the API's served_by: a staff
    # member's username or e-mail); a promoter's praise reaches them (followups.kudos).
    served_by = models.CharField(max_length=254, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["wave", "contact"], name="invitation_once_per_wave", condition=Q(wave__isnull=False)
            ),
        ]
        indexes = [models.Index(fields=["contact", "sent_at"], name="invitation_contact_sent")]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self):
        return f"{self.campaign} → {self.contact}"
