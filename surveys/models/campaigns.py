"""Campaigns and their driver questions."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from surveys.models.common import new_token
from surveys.models.contacts import ContactList
from surveys.models.touchpoints import Touchpoint


class Campaign(models.Model):
    class Kind(models.TextChoices):
        RELATIONAL = "relational", _("Relational")
        TRANSACTIONAL = "transactional", _("Transactional")
        # Employee NPS (eNPS): asked of staff, anonymous by design, reported apart on its own page
        # (scoring.enps) and never in a customer report, export or API answer.
        EMPLOYEE = "employee", _("Employee (eNPS)")

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        WEB = "web", _("Web link")
        QR = "qr", _("QR code")
        IN_APP = "in_app", _("In-app")  # answers recorded elsewhere and imported; the widget is WIDGET
        WIDGET = "widget", _("Website or in-app widget")
        SMS = "sms", _("Text message (SMS)")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        ACTIVE = "active", pgettext_lazy("campaign status", "Active")
        PAUSED = "paused", _("Paused")
        CLOSED = "closed", pgettext_lazy("campaign status", "Closed")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        pgettext_lazy("campaign", "kind"), max_length=20, choices=Kind.choices, default=Kind.RELATIONAL
    )
    touchpoint = models.ForeignKey(
        Touchpoint, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("touchpoint")
    )
    team = models.ForeignKey(
        "core.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("team"),
        help_text=_("The team this campaign's results belong to."),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)

    # Wording. {company} is replaced by the company name.
    email_subject = models.CharField(_("e-mail subject"), max_length=200, blank=True)
    email_intro = models.TextField(_("e-mail introduction"), blank=True)
    question = models.CharField(_("NPS question"), max_length=300, blank=True)
    why_question = models.CharField(_("“why” question"), max_length=300, blank=True)
    # The "why" asked of one category instead ("What would make it a 10?"); empty: why_question.
    why_detractor = models.CharField(_("“why” question for detractors"), max_length=300, blank=True)
    why_passive = models.CharField(_("“why” question for passives"), max_length=300, blank=True)
    why_promoter = models.CharField(_("“why” question for promoters"), max_length=300, blank=True)
    thanks_promoter = models.TextField(_("thank-you text for promoters"), blank=True)
    thanks_passive = models.TextField(_("thank-you text for passives"), blank=True)
    thanks_detractor = models.TextField(_("thank-you text for detractors"), blank=True)
    # Where promoters are asked to write a review: its review sites (surveys.review_models).
    scale_low = models.CharField(_("label of 0"), max_length=60, blank=True)
    scale_high = models.CharField(_("label of 10"), max_length=60, blank=True)
    # The texts above in the other languages respondents read: {"nl": {"question": "…", …}}. A text
    # missing there falls back to the field itself, in the campaign's language (surveys.wording).
    translations = models.JSONField(_("translations"), default=dict, blank=True)

    # Audience and schedule.
    audience_list = models.ForeignKey(
        ContactList, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("contact list")
    )
    audience_filter = models.JSONField(_("segment filter"), default=dict, blank=True)  # {"plan": "pro", "region": "EU"}
    send_at = models.DateTimeField(_("send at"), null=True, blank=True)
    recurrence_days = models.PositiveIntegerField(_("repeat every (days)"), null=True, blank=True)
    spread_days = models.PositiveIntegerField(_("spread each sending over (days)"), default=0)
    reminder_after_days = models.PositiveIntegerField(_("reminder after (days)"), null=True, blank=True, default=5)
    quiet_period_days = models.PositiveIntegerField(_("quiet period (days)"), default=30)
    sms_daily_cap = models.PositiveIntegerField(
        _("text messages per day"),
        null=True,
        blank=True,
        help_text=_("Text-message campaigns: at most this many a day; the rest wait for the next day. Empty: no cap."),
    )

    anonymous_link_enabled = models.BooleanField(_("public link"), default=False)
    anonymous_token = models.CharField(max_length=40, unique=True, default=new_token)
    followup_promoters = models.BooleanField(
        _("open a case for promoters too"),
        default=False,
        help_text=_("Open a thank-and-ask-for-a-review case for promoters."),
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self):
        return self.name


# The survey types of customers' answers: every customer report, export and API answer reads only
# these (scoring.filters.dimension_q); employee answers are reported apart (scoring.enps).
CUSTOMER_KINDS = (Campaign.Kind.RELATIONAL, Campaign.Kind.TRANSACTIONAL)
CUSTOMER_KIND_CHOICES = [(kind, label) for kind, label in Campaign.Kind.choices if kind in CUSTOMER_KINDS]


class Question(models.Model):
    """A driver question asked after the score."""

    class Kind(models.TextChoices):
        CSAT = "csat", _("Satisfaction (1–5)")
        EFFORT = "effort", _("Customer effort (1–7)")
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        TEXT = "text", _("Short text")

    class Driver(models.TextChoices):
        PROCESS = "process", _("Process")
        PRODUCT = "product", _("Product")
        PRICE = "price", _("Price")
        REPUTATION = "reputation", _("Reputation")
        EMOTIONAL = "emotional", _("Emotional engagement")
        OTHER = "other", pgettext_lazy("driver", "Other")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="questions", verbose_name=_("campaign")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    kind = models.CharField(pgettext_lazy("question", "kind"), max_length=10, choices=Kind.choices)
    driver = models.CharField(_("driver"), max_length=12, choices=Driver.choices, default=Driver.OTHER)
    text = models.CharField(_("question"), max_length=300)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(pgettext_lazy("question", "required"), default=False)
    scale_low = models.CharField(_("label of the lowest number"), max_length=60, blank=True)
    scale_high = models.CharField(_("label of the highest number"), max_length=60, blank=True)
    # {"nl": {"text": "…", "choices": ["…", …], "scale_low": "…", "scale_high": "…"}}; answers keep
    # storing the choices of `choices`, whatever language they were shown in.
    translations = models.JSONField(_("translations"), default=dict, blank=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("driver question")
        verbose_name_plural = _("driver questions")

    def __str__(self):
        return self.text
