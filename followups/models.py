"""Follow-up cases, routing rules, root causes and improvements: the closed loop."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from surveys.models import Category, Health, translated_name


class RootCauseTag(models.Model):
    """The configurable root-cause taxonomy (seeded: process, product, price, reputation, emotional)."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    slug = models.SlugField(
        _("slug"), max_length=80, unique=True, help_text=_("A short code for the root cause: letters, digits, hyphens.")
    )
    active = models.BooleanField(_("active"), default=True)
    # The name in other languages: {"nl": {"name": "Prijs"}}.
    translations = models.JSONField(_("translations"), default=dict, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("root cause")
        verbose_name_plural = _("root causes")

    def __str__(self):
        return translated_name(self)


class RoutingRule(models.Model):
    class Target(models.TextChoices):
        ACCOUNT_OWNER = "account_owner", _("The contact's account owner (else the account manager)")
        USER = "user", _("A named user")
        ROUND_ROBIN = "round_robin", _("Round-robin within a team")
        TEAM_QUEUE = "team_queue", _("The team's shared queue")

    name = models.CharField(_("name"), max_length=200)
    order = models.PositiveIntegerField(_("order"), default=0, db_index=True)
    active = models.BooleanField(_("active"), default=True)
    # Conditions; an empty condition matches everything.
    campaign = models.ForeignKey(
        "surveys.Campaign", null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("campaign")
    )
    touchpoint = models.ForeignKey(
        "surveys.Touchpoint", null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("touchpoint")
    )
    categories = models.JSONField(_("categories"), default=list, blank=True)  # ["detractor", "passive"]
    score_min = models.PositiveSmallIntegerField(_("lowest score"), null=True, blank=True)
    score_max = models.PositiveSmallIntegerField(_("highest score"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    segment_key = models.CharField(_("segment attribute"), max_length=80, blank=True)
    segment_value = models.CharField(_("segment value"), max_length=200, blank=True)
    at_risk_only = models.BooleanField(
        _("at risk only"),
        default=False,
        help_text=_("Only answers whose score dropped since the customer's previous one (at risk)."),
    )
    # Conditions on the contact's account (#24): its ARR (in the reporting currency) and its health.
    arr_min = models.PositiveBigIntegerField(
        _("lowest account ARR"),
        null=True,
        blank=True,
        help_text=_("Only contacts of an account with at least this ARR, e.g. 50000 for the key-account team."),
    )
    account_health = models.CharField(
        _("account health"),
        max_length=10,
        blank=True,
        choices=Health.choices,
        help_text=_("Only contacts of an account with this health (as the worker last counted it)."),
    )
    # Target.
    target = models.CharField(_("goes to"), max_length=20, choices=Target.choices)
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("named user"),
    )
    team = models.ForeignKey(
        "core.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("team"),
        help_text=_("The team that owns cases routed by this rule."),
    )

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self):
        return self.name

    @property
    def category_names(self) -> list[str]:
        """The categories the rule asks for, named in the active language (lower case)."""
        return [str(Category(c).label).lower() if c in Category.values else c for c in self.categories]


class RoundRobinState(models.Model):
    """Where round-robin left off for a team; kept in the database so it survives restarts."""

    team = models.OneToOneField(
        "core.Team", on_delete=models.CASCADE, related_name="round_robin", verbose_name=_("team")
    )
    last_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("last served"),
    )

    class Meta:
        verbose_name = _("round-robin position")
        verbose_name_plural = _("round-robin positions")


class SLAPolicy(models.Model):
    category = models.CharField(_("category"), max_length=10, choices=Category.choices, unique=True)
    hours = models.PositiveIntegerField(_("hours"))
    key_account_hours = models.PositiveIntegerField(
        _("hours for key accounts"),
        null=True,
        blank=True,
        help_text=_(
            "A shorter deadline for contacts of an account whose ARR reaches KEY_ACCOUNT_ARR; empty: the same."
        ),
    )
    business_hours = models.BooleanField(
        _("business hours only"), default=False, help_text=_("Count only business hours of the calendar.")
    )

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")

    def __str__(self):
        return f"{self.category}: {self.hours} h"


class FollowUp(models.Model):
    class Status(models.TextChoices):
        NEW = "new", pgettext_lazy("follow-up status", "New")
        IN_PROGRESS = "in_progress", pgettext_lazy("follow-up status", "In progress")
        CONTACTED = "contacted", pgettext_lazy("follow-up status", "Contacted")
        RESOLVED = "resolved", pgettext_lazy("follow-up status", "Resolved")
        CLOSED = "closed", pgettext_lazy("follow-up status", "Closed without contact")
        # The customer's e-mail came in while the case was open (followups.inbound): their turn is over.
        REPLIED = "replied", pgettext_lazy("follow-up status", "Customer replied")

    OPEN_STATUSES = (Status.NEW, Status.IN_PROGRESS, Status.CONTACTED, Status.REPLIED)

    # One case per response, enforced by the database.
    response = models.OneToOneField(
        "surveys.Response", on_delete=models.CASCADE, related_name="followup", verbose_name=_("response")
    )
    contact = models.ForeignKey(
        "surveys.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="followups",
        verbose_name=_("contact"),
    )
    category = models.CharField(_("category"), max_length=10, choices=Category.choices)
    # owner and team lead the queue indexes below (Meta.indexes), which serve their lookups too.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="followups",
        verbose_name=_("owner"),
        db_index=False,
    )
    team = models.ForeignKey(
        "core.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="followups",
        verbose_name=_("team"),
        db_index=False,
    )
    routed_by = models.ForeignKey(
        RoutingRule, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("routed by")
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.NEW, db_index=True)
    due_at = models.DateTimeField(_("due"), db_index=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    at_risk = models.BooleanField(_("at risk"), default=False)
    first_contact_at = models.DateTimeField(_("first contact"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_reason = models.CharField(_("closed because"), max_length=200, blank=True)
    resolution_summary = models.TextField(_("resolution summary"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)
    tags = models.ManyToManyField(RootCauseTag, blank=True, related_name="followups", verbose_name=_("root causes"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["due_at"]
        indexes = [
            models.Index(fields=["owner", "status", "due_at"], name="followup_owner_queue"),
            models.Index(fields=["team", "status", "due_at"], name="followup_team_queue"),
        ]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")

    def __str__(self):
        return f"Case #{self.pk} ({self.category})"

    @classmethod
    def overdue_condition(cls, now=None) -> models.Q:
        """Overdue: still open and past its deadline. The one definition, for querysets."""
        return models.Q(status__in=cls.OPEN_STATUSES, due_at__lt=now or timezone.now())

    @property
    def is_overdue(self) -> bool:
        """The same rule as overdue_condition, for a case in hand (a page, a serializer)."""
        return self.status in self.OPEN_STATUSES and self.due_at < timezone.now()


class FollowUpEvent(models.Model):
    """The case history: who did what, when."""

    class Kind(models.TextChoices):
        CREATED = "created", pgettext_lazy("case event", "Created")
        ROUTED = "routed", pgettext_lazy("case event", "Routed")
        STATUS = "status", pgettext_lazy("case event", "Status")
        NOTE = "note", pgettext_lazy("case event", "Note")
        ATTEMPT = "attempt", pgettext_lazy("case event", "Contact attempt")
        REASSIGNED = "reassigned", pgettext_lazy("case event", "Reassigned")
        ESCALATED = "escalated", pgettext_lazy("case event", "Escalated")
        TAGGED = "tagged", pgettext_lazy("case event", "Root causes")
        REPLY = "reply", pgettext_lazy("case event", "Reply")
        LINKED = "linked", pgettext_lazy("case event", "Linked")
        INBOUND = "inbound", pgettext_lazy("case event", "Customer's e-mail")

    followup = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="events", verbose_name=_("follow-up"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("by")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    text = models.TextField(_("text"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")

    def __str__(self):
        return f"{self.kind} on {self.followup_id}"


class Improvement(models.Model):
    """Something the company changed because customers asked ("you said, we did")."""

    class Status(models.TextChoices):
        PLANNED = "planned", pgettext_lazy("improvement status", "Planned")
        IN_PROGRESS = "in_progress", pgettext_lazy("improvement status", "In progress")
        SHIPPED = "shipped", pgettext_lazy("improvement status", "Shipped")
        DROPPED = "dropped", pgettext_lazy("improvement status", "Dropped")

    # What customers read, per language (followups.improvement_texts: the reader's language, else the other).
    title = models.CharField(
        _("title"),
        max_length=200,
        help_text=_(
            "What staff see, and the title customers read in English (in Dutch too when the Dutch title is empty)."
        ),
    )
    title_nl = models.CharField(
        _("title (Dutch)"),
        max_length=200,
        blank=True,
        help_text=_(
            "The title Dutch-speaking customers read: in the subject of the ‘Dankzij uw feedback’ e-mail and on the"
            " Dutch public page. Empty: the title."
        ),
    )
    description_en = models.TextField(
        _("Customer-facing description (English)"),
        blank=True,
        help_text=_("What changed, as customers read it in English. Empty: the Dutch text."),
    )
    description_nl = models.TextField(
        _("Customer-facing description (Dutch)"),
        blank=True,
        help_text=_("What changed, as customers read it in Dutch. Empty: the English text."),
    )
    internal_notes = models.TextField(_("internal notes"), blank=True)
    keywords = models.CharField(
        _("keywords"), max_length=300, blank=True, help_text=_("Comma-separated words to suggest matching comments.")
    )
    team = models.ForeignKey("core.Team", null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("team"))
    tags = models.ManyToManyField(RootCauseTag, blank=True, related_name="improvements", verbose_name=_("root causes"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PLANNED, db_index=True)
    dropped_reason = models.TextField(_("reason for dropping"), blank=True)
    resurvey_campaign = models.ForeignKey(
        "surveys.Campaign",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("re-survey campaign"),
    )
    shipped_at = models.DateTimeField(_("shipped"), null=True, blank=True)
    # The public "you said, we did" page (followups.public_page): opt-in, shown once shipped.
    public = models.BooleanField(
        _("on the public page"),
        default=False,
        help_text=_("Once shipped, show it on the public “you said, we did” page, its feed and the embeddable list."),
    )
    public_show_nps = models.BooleanField(
        _("show the NPS before and after"),
        default=False,
        help_text=_("Also show the NPS of the customers who asked, before and since it shipped."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("improvement")
        verbose_name_plural = _("improvements")

    def __str__(self):
        return self.title


class ImprovementLink(models.Model):
    improvement = models.ForeignKey(Improvement, on_delete=models.CASCADE, related_name="links")
    response = models.ForeignKey("surveys.Response", on_delete=models.CASCADE, related_name="improvement_links")
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["improvement", "response"], name="improvement_link_once")]
        verbose_name = _("improvement link")
        verbose_name_plural = _("improvement links")


class ImprovementNotice(models.Model):
    """The "you said, we did" e-mail to one contact for one improvement: at most one each."""

    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("notice status", "queued")
        SENT = "sent", pgettext_lazy("notice status", "sent")
        EXCLUDED = "excluded", pgettext_lazy("notice status", "excluded")
        FAILED = "failed", pgettext_lazy("notice status", "failed")

    improvement = models.ForeignKey(Improvement, on_delete=models.CASCADE, related_name="notices")
    contact = models.ForeignKey("surveys.Contact", on_delete=models.CASCADE, related_name="improvement_notices")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    resurvey_invitation = models.ForeignKey(
        "surveys.Invitation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["improvement", "contact"], name="improvement_notice_once")]
        verbose_name = _("improvement notice")
        verbose_name_plural = _("improvement notices")


class EscalationNotice(models.Model):
    """That a case reached an escalation level, still to be told to one recipient. Made together
    with the level (followups.escalation), so there is exactly one per case, level and recipient;
    the recipient's next digest e-mail lists every notice not yet sent and marks them sent."""

    followup = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="escalation_notices")
    level = models.PositiveSmallIntegerField()
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["followup", "level", "recipient"], name="escalation_notice_once"),
        ]
        indexes = [
            models.Index(
                fields=["recipient"], condition=models.Q(sent_at__isnull=True), name="escalation_notice_unsent"
            ),
        ]


# The conversation with the customer (followups.inbound, followups.reply_templates), in a module of its own.
from followups.models_conversation import InboundMessage, Kudos, ReplyTemplate  # noqa: E402,F401


class RootCauseModel(models.Model):
    """The root-cause suggester learned from this install's own tagged cases (a single row),
    retrained nightly by followups.suggestions.retrain: its cross-validated precision, and the
    linear model itself as plain numbers (vocabulary with idf, weights per root cause)."""

    trained_at = models.DateTimeField(null=True)
    cases = models.PositiveIntegerField(default=0)  # tagged cases with a comment it learned from
    active = models.BooleanField(default=False)  # off below the minimum of tagged cases
    metrics = models.JSONField(default=dict)  # p1, p3, hit3, baseline_p1, baseline_p3
    model = models.JSONField(default=dict)  # classes (tag ids), idf, weights, intercept
