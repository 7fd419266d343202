"""E-mails to contacts: the invitation and the reminder.

Every e-mail to a contact carries the unsubscribe headers (`unsubscribe_headers`, also used by
the follow-ups' e-mails) and is sent only to contacts who may be e-mailed (checked by the callers
in surveys.sending at send time).
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from core.mail import absolute_url, render_email
from core.reply_address import reply_address
from surveys import wording
from surveys.models import Invitation
from surveys.unsubscribe import unsubscribe_headers, unsubscribe_token

__all__ = ["InvitationRenderer", "build_invitation_email", "build_reminder_email", "survey_url", "unsubscribe_headers"]

# Placeholders let one rendering serve a whole batch: only the links and the name differ.
TOKEN, UNSUB, NAME = "__KL_TOKEN__", "__KL_UNSUB__", "__KL_NAME__"


def _context(campaign, *, reminder: bool, named: bool) -> dict:
    base = absolute_url(reverse("surveys:survey_answer", args=[TOKEN]))
    return {
        "campaign": campaign,
        "reminder": reminder,
        "name": NAME if named else "",
        "question": wording.nps_question(campaign),
        "intro": wording.email_intro(campaign),
        "scale_low": wording.scale_ends(campaign)[0],
        "scale_high": wording.scale_ends(campaign)[1],
        "scale": [{"score": n, "url": f"{base}?score={n}"} for n in range(11)],
        "answer_url": base,
        "unsubscribe_url": absolute_url(reverse("surveys:unsubscribe", args=[UNSUB])),
    }


@dataclass(frozen=True)
class Parts:
    """A campaign's invitation rendered once for a language and greeting, with placeholders."""

    key: tuple[str, bool]
    subject: str
    text: str
    html: str
    kind: str


@dataclass(frozen=True)
class RecipientValues:
    """What differs from one recipient to the next: the name, the unsubscribe token, the headers."""

    first_name: str
    first_name_html: str
    unsubscribe_token: str
    headers: dict


class InvitationRenderer:
    """Renders a campaign's invitation (or reminder) once per language (with and without a name
    to greet), then fills in each recipient's links and first name, so a batch of 500 renders
    its templates a few times, not 500. surveys.esp_batch hands the same parts and values to a
    provider's batch API instead, which fills them in on its side."""

    def __init__(self, campaign, *, reminder: bool = False):
        self.campaign = campaign
        self.reminder = reminder
        self.kind = "reminder" if reminder else "invitation"
        self._parts: dict[tuple[str, bool], Parts] = {}
        self._unsubscribe_url = absolute_url(reverse("surveys:unsubscribe", args=[UNSUB]))

    def _render(self, language: str, named: bool) -> Parts:
        if (language, named) not in self._parts:
            with translation.override(language):
                context = _context(self.campaign, reminder=self.reminder, named=named)
                context["subject"] = wording.email_subject(self.campaign)
            message = render_email(
                template=self.kind,
                context=context,
                to="placeholder@example.com",
                language=language,
            )
            self._parts[language, named] = Parts(
                (language, named), message.subject, message.body, message.alternatives[0][0], self.kind
            )
        return self._parts[language, named]

    def parts_for(self, invitation: Invitation) -> Parts:
        contact = invitation.contact
        return self._render(wording.respondent_language(self.campaign, contact), bool(_first_name(contact)))

    def recipient_values(self, invitation: Invitation) -> RecipientValues:
        contact = invitation.contact
        first_name = _first_name(contact)
        token = unsubscribe_token(contact)
        headers = unsubscribe_headers(contact, url=self._unsubscribe_url.replace(UNSUB, token))
        answer_to = reply_address("i", invitation.pk) if invitation.pk else None
        if answer_to:  # a reply to the invitation reaches the case its answer opens (followups.inbound)
            headers["Reply-To"] = answer_to
        return RecipientValues(first_name, escape(first_name), token, headers)

    def build(self, invitation: Invitation) -> EmailMultiAlternatives:
        parts, values = self.parts_for(invitation), self.recipient_values(invitation)

        def fill(part: str, name: str) -> str:
            return part.replace(TOKEN, invitation.token).replace(UNSUB, values.unsubscribe_token).replace(NAME, name)

        message = EmailMultiAlternatives(
            subject=parts.subject,
            body=fill(parts.text, values.first_name),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[invitation.contact.email],
            headers=values.headers,
        )
        message.attach_alternative(fill(parts.html, values.first_name_html), "text/html")
        message.tags = [self.kind]  # anymail passes tags and metadata to the provider
        if invitation.pk:
            message.metadata = {"invitation": str(invitation.pk)}
        return message


def _first_name(contact) -> str:
    return contact.name.split()[0] if contact.name.strip() else ""


def build_invitation_email(*, invitation: Invitation, preview: bool = False) -> EmailMultiAlternatives:
    """The invitation e-mail to one contact. Builds, never sends and never writes, so the campaign
    preview (preview=True, with an unsaved example invitation) shows exactly what respondents get."""
    return InvitationRenderer(invitation.campaign).build(invitation)


def build_reminder_email(*, invitation: Invitation, preview: bool = False) -> EmailMultiAlternatives:
    """The one reminder to a contact who has not answered yet (same links as the invitation)."""
    return InvitationRenderer(invitation.campaign, reminder=True).build(invitation)


def survey_url(invitation: Invitation) -> str:
    return absolute_url(reverse("surveys:survey_answer", args=[invitation.token]))
