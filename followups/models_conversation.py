"""The conversation with customers: the e-mails that came back from them through the ESP's inbound
webhook (followups.inbound), and the reply templates agents start their answers from."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from surveys.models import Category


class InboundMessage(models.Model):
    """One e-mail received at a reply address. Matched ones are on their case's history (`event`);
    the others wait on the admins' "unmatched replies" list: never dropped, never guessed onto a case."""

    class Kind(models.TextChoices):
        REPLY = "reply", pgettext_lazy("inbound e-mail", "Reply")
        AUTO_REPLY = "auto_reply", pgettext_lazy("inbound e-mail", "Automatic reply")
        BOUNCE = "bounce", pgettext_lazy("inbound e-mail", "Delivery failure report")

    class Status(models.TextChoices):
        MATCHED = "matched", pgettext_lazy("inbound e-mail", "On its case")
        UNMATCHED = "unmatched", pgettext_lazy("inbound e-mail", "Unmatched")
        DISMISSED = "dismissed", pgettext_lazy("inbound e-mail", "Dismissed")

    class Reason(models.TextChoices):
        NONE = "", "—"
        NO_ADDRESS = "no_address", _("Not sent to a reply address of ours")
        FORGED = "forged", _("The reply address's signature does not match (forged or altered)")
        NO_CASE = "no_case", _("The address names no case (none yet, or deleted)")
        OTHER_SENDER = "other_sender", _("Sent from another address than the customer's")

    followup = models.ForeignKey(
        "followups.FollowUp",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_messages",
        verbose_name=_("follow-up"),
    )
    event = models.OneToOneField(
        "followups.FollowUpEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_message"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.REPLY)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, db_index=True)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices, blank=True)
    esp = models.CharField(_("provider"), max_length=40, blank=True)
    # The same e-mail posted twice (an ESP retries until it hears 200) is stored once.
    dedupe_key = models.CharField(max_length=200, unique=True)
    message_id = models.CharField(max_length=300, blank=True, db_index=True)
    in_reply_to = models.CharField(max_length=300, blank=True)
    references = models.TextField(blank=True)
    from_email = models.CharField(_("from"), max_length=254, blank=True)
    from_name = models.CharField(max_length=200, blank=True)
    to = models.TextField(_("to"), blank=True)
    subject = models.CharField(_("subject"), max_length=998, blank=True)
    text = models.TextField(_("full text"), blank=True)
    reply_text = models.TextField(_("reply"), blank=True)  # without the quoted mail and the signature
    # [{"name", "type", "size", "path"}]: path only when kept (INBOUND_KEEP_ATTACHMENTS, within the size limit).
    attachments = models.JSONField(default=list, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)
    notified_at = models.DateTimeField(null=True, blank=True)  # the owner was told (or there was nobody to tell)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("customer e-mail")
        verbose_name_plural = _("customer e-mails")
        indexes = [
            models.Index(
                fields=["received_at"], name="inbound_unnotified", condition=models.Q(notified_at__isnull=True)
            ),
        ]

    def __str__(self):
        return f"{self.from_email}: {self.subject}"

    @property
    def is_automatic(self) -> bool:
        return self.kind != self.Kind.REPLY


class ReplyTemplate(models.Model):
    """A reply agents start from, per language and category (followups.reply_templates): an apology
    to a detractor, a thanks and a question to a passive, a review ask to a promoter. Its subject
    and body may hold the placeholders of reply_templates.PLACEHOLDERS."""

    name = models.CharField(_("name"), max_length=120)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    category = models.CharField(
        _("category"),
        max_length=10,
        blank=True,
        choices=[("", _("Any category")), *Category.choices],
        help_text=_("Offered on cases of this category; “any” on every case."),
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), max_length=10000)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["language", "category", "name"]
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")
        constraints = [
            models.UniqueConstraint(fields=["name", "language"], name="reply_template_name_per_language"),
        ]

    def __str__(self):
        return self.name


class Kudos(models.Model):
    """Praise for a staff member or a team in a promoter's comment (followups.kudos): one row per
    answer and person or team, told in the day's batched notice (e-mail; Slack/Teams)."""

    class Reason(models.TextChoices):
        SERVED_BY = "served_by", _("served the customer")
        NAMED = "named", _("named in the comment")
        TEAM = "team", _("the team or its touchpoint named in the comment")

    response = models.ForeignKey("surveys.Response", on_delete=models.CASCADE, related_name="kudos")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="kudos"
    )
    team = models.ForeignKey("core.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="kudos")
    reason = models.CharField(max_length=12, choices=Reason.choices)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    emailed_at = models.DateTimeField(null=True, blank=True)  # in a day's e-mail (or nobody to e-mail)
    posted_at = models.DateTimeField(null=True, blank=True)  # in a day's Slack/Teams message (or no channel)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("kudos")
        verbose_name_plural = _("kudos")
        constraints = [
            models.UniqueConstraint(
                fields=["response", "user"], condition=models.Q(user__isnull=False), name="kudos_once_per_person"
            ),
            models.UniqueConstraint(
                fields=["response", "team"], condition=models.Q(team__isnull=False), name="kudos_once_per_team"
            ),
            models.CheckConstraint(
                condition=models.Q(user__isnull=True, team__isnull=False)
                | models.Q(user__isnull=False, team__isnull=True),
                name="kudos_for_a_person_or_a_team",
            ),
        ]
