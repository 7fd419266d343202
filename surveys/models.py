"""Campaigns, contacts, invitations and responses: the front half of the loop."""

import secrets

from django import forms
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.i18n import in_language
from surveys import nps

# The account models live in their own module; Django finds them here.
from surveys.account_models import Account, AccountProposal, AccountRevenueDay, Health, Role  # noqa: F401
from surveys.addresses import validate_address
from surveys.phones import validate_time_zone
from surveys.review_models import ReviewClick, ReviewSite  # noqa: F401


def translated_name(record) -> str:
    """A touchpoint's or root cause's name in the active language, else its own (core.i18n.in_language)."""
    names = {code: texts.get("name") for code, texts in (record.translations or {}).items() if isinstance(texts, dict)}
    return in_language(names, own=record.name)


def new_token() -> str:
    """An unguessable URL token: 18 random bytes = 144 bits, 24 characters."""
    return secrets.token_urlsafe(18)


class Category(models.TextChoices):
    """A response's category; which score gets which is surveys.nps.category_for."""

    PROMOTER = nps.PROMOTER, _("Promoter")
    PASSIVE = nps.PASSIVE, pgettext_lazy("NPS category", "Passive")
    DETRACTOR = nps.DETRACTOR, _("Detractor")


class Touchpoint(models.Model):
    """A stage of the customer journey: sales, onboarding, support, billing, renewal …"""

    name = models.CharField(_("name"), max_length=80, unique=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    # The name in other languages: {"nl": {"name": "Klantenservice"}} (surveys.wording.translated).
    translations = models.JSONField(_("translations"), default=dict, blank=True)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("touchpoint")
        verbose_name_plural = _("touchpoints")

    def __str__(self):
        return translated_name(self)


class AddressField(models.EmailField):
    """A contact's e-mail address, checked by the one address rule (surveys.addresses), which also
    accepts a UTF-8 local part when the e-mail provider can deliver it; Django's EmailField would not."""

    default_validators = [validate_address]

    def formfield(self, **kwargs):
        # A text input: browsers refuse a non-ASCII local part in type="email".
        widget = forms.TextInput(attrs={"inputmode": "email", "autocomplete": "off", "spellcheck": "false"})
        return super().formfield(
            **{"form_class": forms.CharField, "validators": [validate_address], "widget": widget, **kwargs}
        )


class Contact(models.Model):
    email = AddressField(_("e-mail address"), max_length=254)
    name = models.CharField(_("name"), max_length=200, blank=True)
    external_id = models.CharField(_("external id"), max_length=100, null=True, blank=True)
    company = models.CharField(_("company"), max_length=200, blank=True)
    # E.164 ("+31612345678", surveys.phones): for the callback, shown as a tel: link, and for text messages.
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # The contact's IANA time zone ("Europe/Amsterdam"); empty: their phone number's, else the site's.
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_(
            "Such as Europe/Amsterdam. Text messages go out by day in this time zone; empty: the phone number's."
        ),
    )
    # Segment attributes (plan, region, account size …), free-form keys set by imports.
    attributes = models.JSONField(_("segment attributes"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    account_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_contacts",
        verbose_name=_("account owner"),
    )
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts", verbose_name=_("account")
    )
    account_role = models.CharField(_("role in the account"), max_length=20, choices=Role.choices, blank=True)
    opted_out_at = models.DateTimeField(_("opted out at"), null=True, blank=True)  # of e-mail
    # Replied STOP to a text message: no more text messages (e-mail is its own opt-out, above).
    sms_opted_out_at = models.DateTimeField(_("opted out of text messages at"), null=True, blank=True)
    undeliverable_at = models.DateTimeField(_("undeliverable since"), null=True, blank=True)
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "email"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(
                Lower("email"), name="contact_email_unique_ci", condition=Q(erased_at__isnull=True)
            ),
            models.UniqueConstraint(
                fields=["external_id"], name="contact_external_id_unique", condition=Q(external_id__isnull=False)
            ),
        ]
        # Every refresh of the rollups and every dashboard read asks for the contacts changed since a
        # mark (scoring.changes): without it each asked for a scan of the whole table.
        indexes = [models.Index(fields=["updated_at"], name="contact_updated")]

    def __str__(self):
        return self.name or self.email

    @property
    def tel_url(self) -> str:
        """The phone number as a link to call it ("" without one): tel: with the spaces taken out."""
        return f"tel:{self.phone.replace(' ', '')}" if self.phone else ""

    @property
    def can_be_emailed(self) -> bool:
        return self.opted_out_at is None and self.undeliverable_at is None and self.erased_at is None


class ContactList(models.Model):
    """A named audience, usually the result of one CSV import."""

    name = models.CharField(_("name"), max_length=200)
    contacts = models.ManyToManyField(Contact, blank=True, related_name="lists", verbose_name=_("contacts"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("contact list")
        verbose_name_plural = _("contact lists")

    def __str__(self):
        return self.name


class ContactImport(models.Model):
    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        MAPPED = "mapped", _("Checked")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", pgettext_lazy("import status", "Failed")

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

    class Meta:
        verbose_name = _("contact import")
        verbose_name_plural = _("contact imports")

    def __str__(self):
        return f"Import {self.original_name} ({self.status})"


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


class Response(models.Model):
    """One answer. Touchpoint, kind, team and channel are copied from the campaign at submission so
    reports filter and group on this table alone."""

    # The foreign keys below lead a composite index each (Meta.indexes), which serves their lookups,
    # so they skip a single-column index of their own: every answer writes fewer index entries.
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="responses", db_index=False)
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="responses", db_index=False
    )
    invitation = models.OneToOneField(
        Invitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="response"
    )
    score = models.PositiveSmallIntegerField()
    category = models.CharField(max_length=10, choices=Category.choices)
    comment = models.TextField(blank=True)
    # The "why" question the comment answered, as the respondent read it (wording.why_question).
    why_asked = models.CharField(max_length=300, blank=True, default="", db_default="")  # raw INSERTs too
    kind = models.CharField(max_length=20, choices=Campaign.Kind.choices)
    touchpoint = models.ForeignKey(Touchpoint, null=True, blank=True, on_delete=models.SET_NULL, db_index=False)
    team = models.ForeignKey("core.Team", null=True, blank=True, on_delete=models.SET_NULL, db_index=False)
    channel = models.CharField(max_length=10, choices=Campaign.Channel.choices)
    language = models.CharField(max_length=8, default="en")
    submitted_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    # An employee (eNPS) who ticked "you may contact me about my answer": only then is a case
    # opened for their answer (followups.routing.wants_followup). Set by the database on insert.
    may_contact = models.BooleanField(default=False, db_default=False)
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
        verbose_name = _("response")
        verbose_name_plural = _("responses")

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
        verbose_name = _("answer")
        verbose_name_plural = _("answers")

    def __str__(self):
        return f"{self.question}: {self.number if self.number is not None else self.text}"


from surveys.widget_models import WidgetSettings, WidgetSighting  # noqa: E402, F401 (the widget's records)
