"""A Dutch contact answers on a 320 px phone: from the link in the e-mail to a stored score takes
exactly one tap, and every text they read is Dutch, the campaign's own texts too."""

import re

import pytest

from core.models import OutboxMessage
from surveys.emails import build_invitation_email
from surveys.models import Campaign, Question, Response
from tests.e2e.conftest import axe_violations, shot
from tests.factories import CampaignFactory, InvitationFactory, TouchpointFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SMALL_PHONE = {
    "viewport": {"width": 320, "height": 568},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}

# English words that would give away an untranslated text on a Dutch page.
ENGLISH = re.compile(
    r"\b(the|and|your|you|how|what|which|send|next|thank|score is|likely|recommend|reason|satisfied|easy)\b", re.I
)


@pytest.fixture
def dutch_invitation(live_server, settings):
    settings.SITE_URL = live_server.url
    touchpoint = TouchpointFactory(name="Helpdesk", slug="helpdesk", translations={"nl": {"name": "Klantenservice"}})
    campaign = CampaignFactory(
        status=Campaign.Status.ACTIVE,
        language="en",
        touchpoint=touchpoint,
        question="How likely are you to recommend {company} after this support call?",
        why_question="What should we do better?",
        thanks_detractor="Sorry! We will call you.",
        email_subject="One question about your support call",
        email_intro="You called us last week.",
        translations={
            "nl": {
                "question": "Hoe waarschijnlijk is het dat u {company} aanraadt na dit gesprek met ons?",
                "why_question": "Wat moeten we beter doen?",
                "thanks_detractor": "Excuses! We bellen u.",
                "email_subject": "Eén vraag over uw gesprek met onze klantenservice",
                "email_intro": "U belde ons vorige week.",
            }
        },
    )
    Question.objects.create(
        campaign=campaign,
        order=1,
        kind=Question.Kind.SINGLE,
        text="Which channel did you use?",
        choices=["Phone", "Chat"],
        translations={"nl": {"text": "Welk kanaal gebruikte u?", "choices": ["Telefoon", "Chat"]}},
    )
    Question.objects.create(
        campaign=campaign,
        order=2,
        kind=Question.Kind.CSAT,
        text="How satisfied are you with the answer?",
        translations={"nl": {"text": "Hoe tevreden bent u met het antwoord?"}},
    )
    return InvitationFactory(campaign=campaign, contact__language="nl", contact__name="Zoë Jansen")


def _dutch_only(text: str) -> list[str]:
    return sorted({m.group(0).lower() for m in ENGLISH.finditer(text)} - {"chat"})


def test_a_dutch_contact_answers_with_one_tap_on_a_320px_phone(browser, live_server, dutch_invitation):
    email = build_invitation_email(invitation=dutch_invitation)
    html_mail = email.alternatives[0][0]
    assert email.subject == "Eén vraag over uw gesprek met onze klantenservice"
    link = re.search(r'href="([^"]*\?score=2)"', html_mail).group(1)

    context = browser.new_context(**SMALL_PHONE)
    page = context.new_page()
    page.set_default_timeout(15000)
    # The e-mail itself, as a phone shows it: nothing wider than the screen.
    page.set_content(html_mail)
    shot(page, "respondent-nl-email-320")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    taps = 0
    page.goto(link)
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.is_checked("#score-2")  # the clicked score is visibly chosen
    button = page.get_by_role("button", name="Verstuur mijn score")
    box = button.bounding_box()
    assert box["y"] + box["height"] <= SMALL_PHONE["viewport"]["height"], box  # above the fold
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    body = page.inner_text("body")
    assert "aanraadt na dit gesprek" in body
    assert _dutch_only(body) == [], body
    assert axe_violations(page) == []
    shot(page, "respondent-nl-form-320")
    assert not Response.objects.exists()  # opening the link recorded nothing
    button.tap()
    taps += 1
    page.wait_for_url("**/why/")
    assert taps == 1 and Response.objects.get().score == 2  # one tap: the score is stored

    # The why page and the thanks, all in Dutch, the campaign's own questions and choices too.
    body = page.inner_text("body")
    assert "Wat moeten we beter doen?" in body and "Welk kanaal gebruikte u?" in body
    assert "Telefoon" in body and "Hoe tevreden bent u met het antwoord?" in body
    assert _dutch_only(body) == [], body
    shot(page, "respondent-nl-why-320")
    page.fill("textarea[name=comment]", "Ik moest drie keer bellen.")
    page.get_by_text("Telefoon").click()
    page.get_by_role("button", name=re.compile("Versturen|Verstuur")).click()
    page.wait_for_url("**/thanks/")
    body = page.inner_text("body")
    assert "Excuses! We bellen u." in body and _dutch_only(body) == [], body
    shot(page, "respondent-nl-thanks-320")
    answer = Response.objects.get()
    assert answer.comment == "Ik moest drie keer bellen." and answer.language == "nl"
    context.close()


def test_the_form_and_email_on_a_390px_phone(browser, live_server, dutch_invitation):
    OutboxMessage.objects.all().delete()
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_content(build_invitation_email(invitation=dutch_invitation).alternatives[0][0])
    shot(page, "respondent-nl-email-390")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.goto(f"{live_server.url}/s/{dutch_invitation.token}/?score=9")
    shot(page, "respondent-nl-form-390")
    box = page.get_by_role("button", name="Verstuur mijn score").bounding_box()
    assert box["y"] + box["height"] <= PHONE["viewport"]["height"]
    context.close()
