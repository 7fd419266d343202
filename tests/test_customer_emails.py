"""What every e-mail carries: its language on the HTML part (lang, dir); and, for e-mails to a customer,
a visible unsubscribe link in the body that is the same URL as the RFC 8058 headers. The invitation's
0-10 scale is one neutral colour with its end labels in words."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from core.mail import render_email
from followups.emails import send_customer_reply
from followups.models import FollowUpEvent, Improvement
from followups.notices import notice_message
from surveys.emails import build_invitation_email, build_reminder_email
from tests.factories import ContactFactory, FollowUpFactory, InvitationFactory, ResponseFactory

EMAIL_TEMPLATES = sorted(
    p.name.removesuffix("_body.html") for p in (Path(settings.BASE_DIR) / "templates" / "emails").glob("*_body.html")
)


@pytest.mark.parametrize("template", EMAIL_TEMPLATES)
@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_html_part_of_every_email_carries_its_language(template, language, db):
    case = FollowUpFactory()
    context = {"followup": case, "response": case.response, "contact": case.contact, "answers": [], "history": []}
    message = render_email(template=template, context=context, to="x@example.com", language=language)
    html = message.alternatives[0][0]
    assert re.search(rf'<html lang="{language}" dir="ltr">', html), html[:300]


def _html(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def _reply_message(db_case, mailoutbox):
    event = FollowUpEvent.objects.create(
        followup=db_case, kind="reply", text="We hebben het opgelost.", data={"subject": "Uw vraag"}
    )
    send_customer_reply(event=event)
    return mailoutbox[-1]


@pytest.fixture
def customer_emails(db, mailoutbox):
    """The four e-mails a customer can get, to a Dutch contact."""
    contact = ContactFactory(language="nl", name="Zoë Jansen")
    invitation = InvitationFactory(contact=contact)
    improvement = Improvement.objects.create(title="Sneller", description_nl="We antwoorden sneller.")
    case = FollowUpFactory(response=ResponseFactory(score=2, contact=contact))
    return {
        "invitation": build_invitation_email(invitation=invitation),
        "reminder": build_reminder_email(invitation=invitation),
        "reply": _reply_message(case, mailoutbox),
        "you said, we did": notice_message(improvement=improvement, contact=contact),
    }


@pytest.mark.parametrize("kind", ["invitation", "reminder", "reply", "you said, we did"])
def test_every_email_to_a_customer_has_a_visible_unsubscribe_link_in_its_body(customer_emails, kind):
    message = customer_emails[kind]
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.search(rf'<a href="{re.escape(url)}"[^>]*>Afmelden</a>', _html(message)), kind
    assert f"Afmelden: {url}" in message.body, kind  # the text part too, in the contact's language
    assert '<html lang="nl" dir="ltr">' in _html(message)


def test_the_invitation_scale_is_one_neutral_colour_with_end_labels_in_words(customer_emails):
    html = _html(customer_emails["invitation"])
    buttons = re.findall(r'<a href="[^"]*\?score=(\d+)" style="([^"]*)"', html)
    assert [int(score) for score, _style in buttons] == list(range(11))
    assert len({style for _score, style in buttons}) == 1  # every number looks the same
    for nudge in ("#dcfce7", "#fef9c3", "#fee2e2"):  # the green, yellow and red it used to have
        assert nudge not in html
    assert "Zeer onwaarschijnlijk" in html and "Zeer waarschijnlijk" in html
