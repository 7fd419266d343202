"""Responses (a score, its category and comment) and the answers to driver questions."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from surveys import nps
from surveys.models.campaigns import Campaign, Question
from surveys.models.contacts import Contact
from surveys.models.sending import Invitation
from surveys.models.touchpoints import Touchpoint


class Category(models.TextChoices):
    """A response's category; which score gets which is surveys.nps.category_for."""

    PROMOTER = nps.PROMOTER, _("Promoter")
    PASSIVE = nps.PASSIVE, pgettext_lazy("NPS category", "Passive")
    DETRACTOR = nps.DETRACTOR, _("Detractor")


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
