"""E-mails to contacts: the invitation and the reminder. Every one carries the unsubscribe headers."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import translation

from core.mail import absolute_url, render_email, send_once
from surveys import wording
from surveys.models import Invitation
from surveys.unsubscribe import unsubscribe_headers, unsubscribe_token

# Placeholders let one rendering serve a whole batch: only the links and the name differ.
TOKEN, UNSUB, NAME = "__KL_TOKEN__", "__KL_UNSUB__", "__KL_NAME__"


def _context(campaign, *, reminder: bool) -> dict:
    base = absolute_url("/s/" + TOKEN + "/")
    return {
        "campaign": campaign, "reminder": reminder, "name": NAME,
        "question": wording.nps_question(campaign), "intro": wording.email_intro(campaign),
        "scale": [{"score": n, "url": f"{base}?score={n}"} for n in range(11)],
        "answer_url": base, "unsubscribe_url": absolute_url("/u/" + UNSUB + "/"),
    }


class InvitationRenderer:
    """Renders a campaign's invitation once per language and fills in each recipient."""

    def __init__(self, campaign, *, reminder: bool = False):
        self.campaign = campaign
        self.reminder = reminder
        self._parts: dict[str, tuple[str, str, str]] = {}

    def _render(self, language: str):
        if language not in self._parts:
            with translation.override(language):
                subject = wording.email_subject(self.campaign)
                context = _context(self.campaign, reminder=self.reminder)
            template = "reminder" if self.reminder else "invitation"
            message = render_email(template=template, context={**context, "subject": subject}, to="x@example.com",
                                   language=language)
            self._parts[language] = (message.subject, message.body, message.alternatives[0][0])
        return self._parts[language]

    def build(self, invitation: Invitation) -> EmailMultiAlternatives:
        contact = invitation.contact
        language = wording.respondent_language(self.campaign, contact)
        subject, text, html = self._render(language)
        unsub = unsubscribe_token(contact)

        def fill(value: str, escape) -> str:
            name = escape(contact.name.split(" ")[0]) if contact.name else ""
            return value.replace(TOKEN, invitation.token).replace(UNSUB, unsub).replace(NAME, name)

        from django.utils.html import escape

        message = EmailMultiAlternatives(subject=subject, body=fill(text, str), from_email=settings.DEFAULT_FROM_EMAIL,
                                         to=[contact.email], headers=unsubscribe_headers(contact))
        message.attach_alternative(fill(html, escape), "text/html")
        message.tags = ["reminder" if self.reminder else "invitation"]
        message.metadata = {"invitation": str(invitation.pk)}
        return message


def build_invitation_email(*, invitation: Invitation, preview: bool = False) -> EmailMultiAlternatives:
    """One invitation e-mail (also used by the campaign preview, which saves nothing)."""
    return InvitationRenderer(invitation.campaign).build(invitation)


def send_reminder(*, invitation: Invitation, renderer: InvitationRenderer | None = None):
    renderer = renderer or InvitationRenderer(invitation.campaign, reminder=True)
    return send_once(key=f"reminder:{invitation.pk}", kind="reminder", message=renderer.build(invitation))


def survey_url(invitation: Invitation) -> str:
    return absolute_url(reverse("survey_answer", args=[invitation.token]))
