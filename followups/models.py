"""Follow-up cases, routing rules, root causes and improvements: the closed loop."""

from django.conf import settings
from django.db import models

from surveys.models import Category


class RootCauseTag(models.Model):
    """The configurable root-cause taxonomy (seeded: process, product, price, reputation, emotional)."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class RoutingRule(models.Model):
    class Target(models.TextChoices):
        ACCOUNT_OWNER = "account_owner", "The contact's account owner"
        USER = "user", "A named user"
        ROUND_ROBIN = "round_robin", "Round-robin within a team"
        TEAM_QUEUE = "team_queue", "The team's shared queue"

    name = models.CharField(max_length=200)
    order = models.PositiveIntegerField(default=0, db_index=True)
    active = models.BooleanField(default=True)
    # Conditions; an empty condition matches everything.
    campaign = models.ForeignKey("surveys.Campaign", null=True, blank=True, on_delete=models.CASCADE)
    touchpoint = models.ForeignKey("surveys.Touchpoint", null=True, blank=True, on_delete=models.CASCADE)
    categories = models.JSONField(default=list, blank=True)  # ["detractor", "passive"]
    score_min = models.PositiveSmallIntegerField(null=True, blank=True)
    score_max = models.PositiveSmallIntegerField(null=True, blank=True)
    language = models.CharField(max_length=8, blank=True)
    segment_key = models.CharField(max_length=80, blank=True)
    segment_value = models.CharField(max_length=200, blank=True)
    at_risk_only = models.BooleanField(default=False, help_text="Only answers whose score dropped since the "
                                                                "customer's previous one (at risk).")
    # Target.
    target = models.CharField(max_length=20, choices=Target.choices)
    target_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    team = models.ForeignKey("core.Team", null=True, blank=True, on_delete=models.SET_NULL,
                             help_text="The team that owns cases routed by this rule.")

    class Meta:
        ordering = ["order", "id"]

    def __str__(self):
        return self.name


class RoundRobinState(models.Model):
    """Where round-robin left off for a team; kept in the database so it survives restarts."""

    team = models.OneToOneField("core.Team", on_delete=models.CASCADE, related_name="round_robin")
    last_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")


class SLAPolicy(models.Model):
    category = models.CharField(max_length=10, choices=Category.choices, unique=True)
    hours = models.PositiveIntegerField()
    business_hours = models.BooleanField(default=False, help_text="Count only business hours of the calendar.")

    def __str__(self):
        return f"{self.category}: {self.hours} h"


class FollowUp(models.Model):
    class Status(models.TextChoices):
        NEW = "new", "New"
        IN_PROGRESS = "in_progress", "In progress"
        CONTACTED = "contacted", "Contacted"
        RESOLVED = "resolved", "Resolved"
        CLOSED = "closed", "Closed without contact"

    OPEN_STATUSES = (Status.NEW, Status.IN_PROGRESS, Status.CONTACTED)

    # One case per response, enforced by the database.
    response = models.OneToOneField("surveys.Response", on_delete=models.CASCADE, related_name="followup")
    contact = models.ForeignKey("surveys.Contact", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="followups")
    category = models.CharField(max_length=10, choices=Category.choices)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="followups")
    team = models.ForeignKey("core.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="followups")
    routed_by = models.ForeignKey(RoutingRule, null=True, blank=True, on_delete=models.SET_NULL)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW, db_index=True)
    due_at = models.DateTimeField(db_index=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    at_risk = models.BooleanField(default=False)
    first_contact_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_reason = models.CharField(max_length=200, blank=True)
    resolution_summary = models.TextField(blank=True)
    outcome = models.CharField(max_length=200, blank=True)
    tags = models.ManyToManyField(RootCauseTag, blank=True, related_name="followups")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at"]
        indexes = [models.Index(fields=["owner", "status", "due_at"], name="followup_owner_queue"),
                   models.Index(fields=["team", "status", "due_at"], name="followup_team_queue")]

    def __str__(self):
        return f"Follow-up #{self.pk} ({self.category})"


class FollowUpEvent(models.Model):
    """The case history: who did what, when."""

    class Kind(models.TextChoices):
        CREATED = "created"
        ROUTED = "routed"
        STATUS = "status"
        NOTE = "note"
        ATTEMPT = "attempt"
        REASSIGNED = "reassigned"
        ESCALATED = "escalated"
        TAGGED = "tagged"
        REPLY = "reply"
        LINKED = "linked"

    followup = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    text = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.kind} on {self.followup_id}"


class Improvement(models.Model):
    """Something the company changed because customers asked ("you said, we did")."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        SHIPPED = "shipped", "Shipped"
        DROPPED = "dropped", "Dropped"

    title = models.CharField(max_length=200)
    description_en = models.TextField("Customer-facing description (English)", blank=True)
    description_nl = models.TextField("Customer-facing description (Dutch)", blank=True)
    internal_notes = models.TextField(blank=True)
    keywords = models.CharField(max_length=300, blank=True, help_text="Comma-separated words to suggest matching comments.")
    team = models.ForeignKey("core.Team", null=True, blank=True, on_delete=models.SET_NULL)
    tags = models.ManyToManyField(RootCauseTag, blank=True, related_name="improvements")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED, db_index=True)
    dropped_reason = models.TextField(blank=True)
    resurvey_campaign = models.ForeignKey("surveys.Campaign", null=True, blank=True, on_delete=models.SET_NULL,
                                          related_name="+")
    shipped_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.title


class ImprovementLink(models.Model):
    improvement = models.ForeignKey(Improvement, on_delete=models.CASCADE, related_name="links")
    response = models.ForeignKey("surveys.Response", on_delete=models.CASCADE, related_name="improvement_links")
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["improvement", "response"], name="improvement_link_once")]


class ImprovementNotice(models.Model):
    """The "you said, we did" e-mail to one contact for one improvement: at most one each."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        SENT = "sent"
        EXCLUDED = "excluded"
        FAILED = "failed"

    improvement = models.ForeignKey(Improvement, on_delete=models.CASCADE, related_name="notices")
    contact = models.ForeignKey("surveys.Contact", on_delete=models.CASCADE, related_name="improvement_notices")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    resurvey_invitation = models.ForeignKey("surveys.Invitation", null=True, blank=True, on_delete=models.SET_NULL,
                                            related_name="+")
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["improvement", "contact"], name="improvement_notice_once")]
