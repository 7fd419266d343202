"""Campaigns, contacts, invitations and responses: the front half of the loop."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower


def new_token() -> str:
    """An unguessable URL token: 18 random bytes = 144 bits, 24 characters."""
    return secrets.token_urlsafe(18)


class Category(models.TextChoices):
    PROMOTER = "promoter", "Promoter"
    PASSIVE = "passive", "Passive"
    DETRACTOR = "detractor", "Detractor"


class Touchpoint(models.Model):
    """A stage of the customer journey: sales, onboarding, support, billing, renewal …"""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self):
        return self.name


class Contact(models.Model):
    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=200, blank=True)
    external_id = models.CharField(max_length=100, null=True, blank=True)
    company = models.CharField(max_length=200, blank=True)
    # Segment attributes (plan, region, account size …), free-form keys set by imports.
    attributes = models.JSONField(default=dict, blank=True)
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    account_owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="owned_contacts")
    opted_out_at = models.DateTimeField(null=True, blank=True)
    undeliverable_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="contact_email_unique_ci", condition=Q(erased_at__isnull=True)),
            models.UniqueConstraint(fields=["external_id"], name="contact_external_id_unique",
                                    condition=Q(external_id__isnull=False)),
        ]

    def __str__(self):
        return self.name or self.email

    @property
    def can_be_emailed(self) -> bool:
        return self.opted_out_at is None and self.undeliverable_at is None and self.erased_at is None


class ContactList(models.Model):
    """A named audience, usually the result of one CSV import."""

    name = models.CharField(max_length=200)
    contacts = models.ManyToManyField(Contact, blank=True, related_name="lists")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.name


class ContactImport(models.Model):
    class Status(models.TextChoices):
        UPLOADED = "uploaded"
        MAPPED = "mapped"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    file = models.FileField(upload_to="imports/")
    original_name = models.CharField(max_length=255)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UPLOADED)
    mapping = models.JSONField(default=dict, blank=True)  # csv column -> contact field / attribute
    match_on = models.CharField(max_length=20, default="email")  # email | external_id
    target_list = models.ForeignKey(ContactList, null=True, blank=True, on_delete=models.SET_NULL)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=list, blank=True)  # [{"row": n, "errors": [...]}, …] (first 1000)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Import {self.original_name} ({self.status})"


class Campaign(models.Model):
    class Kind(models.TextChoices):
        RELATIONAL = "relational", "Relational"
        TRANSACTIONAL = "transactional", "Transactional"

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        WEB = "web", "Web link"
        QR = "qr", "QR code"
        IN_APP = "in_app", "In-app"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        CLOSED = "closed", "Closed"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.RELATIONAL)
    touchpoint = models.ForeignKey(Touchpoint, null=True, blank=True, on_delete=models.PROTECT)
    team = models.ForeignKey("core.Team", null=True, blank=True, on_delete=models.SET_NULL,
                             help_text="The team this campaign's results belong to.")
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)

    # Wording. {company} is replaced by the company name.
    email_subject = models.CharField(max_length=200, blank=True)
    email_intro = models.TextField(blank=True)
    question = models.CharField(max_length=300, blank=True)
    why_question = models.CharField(max_length=300, blank=True)
    thanks_promoter = models.TextField(blank=True)
    thanks_passive = models.TextField(blank=True)
    thanks_detractor = models.TextField(blank=True)
    promoter_link = models.URLField(blank=True, help_text="Review or referral link shown to promoters.")

    # Audience and schedule.
    audience_list = models.ForeignKey(ContactList, null=True, blank=True, on_delete=models.SET_NULL)
    audience_filter = models.JSONField(default=dict, blank=True)  # {"plan": "pro", "region": "EU"}
    send_at = models.DateTimeField(null=True, blank=True)
    recurrence_days = models.PositiveIntegerField(null=True, blank=True)
    spread_days = models.PositiveIntegerField(default=0)
    reminder_after_days = models.PositiveIntegerField(null=True, blank=True, default=5)
    quiet_period_days = models.PositiveIntegerField(default=30)

    anonymous_link_enabled = models.BooleanField(default=False)
    anonymous_token = models.CharField(max_length=40, unique=True, default=new_token)
    followup_promoters = models.BooleanField(default=False, help_text="Open a thank-and-ask-for-a-review case for promoters.")

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.name


class Question(models.Model):
    """A driver question asked after the score."""

    class Kind(models.TextChoices):
        CSAT = "csat", "Satisfaction (1–5)"
        EFFORT = "effort", "Customer effort (1–7)"
        SINGLE = "single", "Single choice"
        MULTIPLE = "multiple", "Multiple choice"
        TEXT = "text", "Short text"

    class Driver(models.TextChoices):
        PROCESS = "process", "Process"
        PRODUCT = "product", "Product"
        PRICE = "price", "Price"
        REPUTATION = "reputation", "Reputation"
        EMOTIONAL = "emotional", "Emotional engagement"
        OTHER = "other", "Other"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    driver = models.CharField(max_length=12, choices=Driver.choices, default=Driver.OTHER)
    text = models.CharField(max_length=300)
    choices = models.JSONField(default=list, blank=True)
    required = models.BooleanField(default=False)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self):
        return self.text


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

    def __str__(self):
        return f"{self.campaign} wave {self.number}"


class Invitation(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed"
        BOUNCED = "bounced", "Bounced"
        ANSWERED = "answered", "Answered"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="invitations")
    wave = models.ForeignKey(SendWave, null=True, blank=True, on_delete=models.CASCADE, related_name="invitations")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="invitations")
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

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["wave", "contact"], name="invitation_once_per_wave",
                                    condition=Q(wave__isnull=False)),
        ]
        indexes = [models.Index(fields=["contact", "sent_at"], name="invitation_contact_sent")]

    def __str__(self):
        return f"{self.campaign} → {self.contact}"


class Response(models.Model):
    """One answer. Touchpoint, kind, team and channel are copied from the campaign at submission so
    reports filter and group on this table alone."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="responses")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="responses")
    invitation = models.OneToOneField(Invitation, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="response")
    score = models.PositiveSmallIntegerField()
    category = models.CharField(max_length=10, choices=Category.choices)
    comment = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=Campaign.Kind.choices)
    touchpoint = models.ForeignKey(Touchpoint, null=True, blank=True, on_delete=models.SET_NULL)
    team = models.ForeignKey("core.Team", null=True, blank=True, on_delete=models.SET_NULL)
    channel = models.CharField(max_length=10, choices=Campaign.Channel.choices)
    language = models.CharField(max_length=8, default="en")
    submitted_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Set once the follow-up step has handled this response; the sweep picks up those left NULL.
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=0) & Q(score__lte=10), name="response_score_0_10"),
        ]
        indexes = [
            models.Index(fields=["kind", "submitted_at"], name="response_kind_time"),
            models.Index(fields=["campaign", "submitted_at"], name="response_campaign_time"),
            models.Index(fields=["touchpoint", "submitted_at"], name="response_touchpoint_time"),
            models.Index(fields=["team", "submitted_at"], name="response_team_time"),
            models.Index(fields=["category", "submitted_at"], name="response_category_time"),
            models.Index(fields=["processed_at"], name="response_unprocessed", condition=Q(processed_at__isnull=True)),
            models.Index(fields=["updated_at"], name="response_updated"),
            models.Index(fields=["contact", "submitted_at"], name="response_contact_time"),
        ]

    def __str__(self):
        return f"{self.score} ({self.category}) for {self.campaign}"


class Answer(models.Model):
    """The answer to one driver question."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    number = models.SmallIntegerField(null=True, blank=True)  # CSAT 1–5, effort 1–7
    text = models.TextField(blank=True)  # short text, or the chosen option
    choices = models.JSONField(default=list, blank=True)  # multiple choice

    class Meta:
        constraints = [models.UniqueConstraint(fields=["response", "question"], name="answer_once_per_question")]

    def __str__(self):
        return f"{self.question}: {self.number if self.number is not None else self.text}"
