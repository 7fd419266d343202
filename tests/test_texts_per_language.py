"""Every text a respondent reads can be given per language: the builder takes them and says which are
missing, a missing one falls back to the campaign's language, the preview shows each language's real
texts, and touchpoint and root-cause names are translatable too."""

import re

import pytest
from django.utils import translation

from followups.models import RootCauseTag
from surveys.emails import build_invitation_email
from surveys.models import Answer, Campaign, Question, ReviewSite, Touchpoint
from surveys.wording import missing_translations
from tests.factories import CampaignFactory, InvitationFactory, TouchpointFactory
from tests.test_campaign_edit import _form

NL = {
    "email_subject": "Eén vraag over uw bestelling",
    "email_intro": "U bestelde vorige week bij ons.",
    "question": "Hoe waarschijnlijk is het dat u {company} aanraadt?",
    "scale_low": "Beslist niet",
    "scale_high": "Zeker wel",
    "why_question": "Wat moeten we beter doen?",
    "thanks_promoter": "Dank u, fijn!",
    "thanks_passive": "Dank u.",
    "thanks_detractor": "Excuses, we bellen u.",
}


@pytest.fixture
def campaign(db):
    campaign = CampaignFactory(
        status=Campaign.Status.ACTIVE,
        language="en",
        email_subject="One question about your order",
        email_intro="You ordered from us last week.",
        question="How likely are you to recommend {company}?",
        scale_low="No way",
        scale_high="Absolutely",
        why_question="What should we do better?",
        thanks_promoter="Thanks, great!",
        thanks_passive="Thank you.",
        thanks_detractor="Sorry, we will call you.",
        translations={"nl": NL},
    )
    ReviewSite.objects.create(
        campaign=campaign,
        name="Acme reviews",
        url="https://reviews.example.com/acme",
        label="Write a review",
        translations={"nl": {"label": "Schrijf een review"}},
    )
    Question.objects.create(
        campaign=campaign,
        order=1,
        kind=Question.Kind.SINGLE,
        text="Which channel did you use?",
        choices=["Phone", "Chat", "E-mail"],
        translations={"nl": {"text": "Welk kanaal gebruikte u?", "choices": ["Telefoon", "Chat", "E-mail"]}},
    )
    Question.objects.create(
        campaign=campaign,
        order=2,
        kind=Question.Kind.CSAT,
        text="How satisfied are you?",
        scale_low="Not at all",
        scale_high="Fully",
        translations={"nl": {"text": "Hoe tevreden bent u?", "scale_low": "Helemaal niet", "scale_high": "Helemaal"}},
    )
    return campaign


def _page(client, url, **data):
    response = client.post(url, data) if data else client.get(url)
    return response, response.content.decode()


def test_a_dutch_contact_reads_every_campaign_text_in_dutch(client, campaign):
    invitation = InvitationFactory(campaign=campaign, contact__language="nl")
    email = build_invitation_email(invitation=invitation)
    assert email.subject == NL["email_subject"]
    assert "U bestelde vorige week bij ons." in email.body and "Beslist niet" in email.alternatives[0][0]
    _r, html = _page(client, f"/s/{invitation.token}/?score=9")
    assert "Hoe waarschijnlijk is het dat u Acme aanraadt?" in html
    assert "0 = Beslist niet" in html and "10 = Zeker wel" in html
    _page(client, f"/s/{invitation.token}/", score="9")
    _r, html = _page(client, f"/s/{invitation.token}/why/")
    for text in ("Wat moeten we beter doen?", "Welk kanaal gebruikte u?", "Telefoon", "Hoe tevreden bent u?"):
        assert text in html, text
    assert "1 = Helemaal niet" in html and "5 = Helemaal" in html
    assert ">Phone<" not in html and "Which channel" not in html
    question = campaign.questions.get(order=1)
    response, _html = _page(client, f"/s/{invitation.token}/why/", comment="", **{f"q{question.pk}": "Phone"})
    assert response.status_code == 302  # the choice is posted as the campaign's own, shown translated
    assert Answer.objects.get().text == "Phone"
    _r, html = _page(client, f"/s/{invitation.token}/thanks/")
    assert "Dank u, fijn!" in html and "Schrijf een review" in html


def test_an_english_contact_reads_the_campaigns_own_texts(client, campaign):
    invitation = InvitationFactory(campaign=campaign, contact__language="en")
    assert build_invitation_email(invitation=invitation).subject == "One question about your order"
    _page(client, f"/s/{invitation.token}/", score="3")
    _r, html = _page(client, f"/s/{invitation.token}/why/")
    assert "Which channel did you use?" in html and "Phone" in html


def test_a_missing_translation_falls_back_to_the_campaigns_language(client, campaign):
    campaign.translations = {"nl": {"question": NL["question"]}}
    campaign.save()
    question = campaign.questions.get(order=1)
    question.translations = {"nl": {"choices": ["Telefoon"]}}  # no text, one choice of three
    question.save()
    invitation = InvitationFactory(campaign=campaign, contact__language="nl")
    assert build_invitation_email(invitation=invitation).subject == "One question about your order"
    _page(client, f"/s/{invitation.token}/", score="3")
    _r, html = _page(client, f"/s/{invitation.token}/why/")
    assert "What should we do better?" in html and "Which channel did you use?" in html
    assert "Telefoon" in html and ">Chat<" in html and ">E-mail<" in html


def test_the_builder_says_which_texts_are_missing(client, admin, campaign):
    assert missing_translations(campaign) == {}
    campaign.translations = {"nl": {"question": NL["question"]}}
    campaign.save()
    campaign.questions.filter(order=1).update(translations={"nl": {"text": "Welk kanaal?"}})
    missing = missing_translations(campaign)["nl"]
    assert "E-mail subject" in missing and "NPS question" not in missing
    assert "question 1: choices" in missing and "question 2: question" not in missing
    client.force_login(admin)
    html = client.get(f"/campaigns/{campaign.pk}/edit/").content.decode()
    block = re.search(r'id="missing-translations".*?</div>', html, re.S).group(0)
    assert "Dutch" in block and "E-mail subject" in block and "question 1: choices" in block
    preview = client.get(f"/campaigns/{campaign.pk}/preview/?lang=en").content.decode()
    assert 'id="missing-translations"' in preview and "question 1: choices" in preview


def test_the_builder_saves_the_texts_per_language(client, admin):
    client.force_login(admin)
    data = _form(
        touchpoint=TouchpointFactory().pk,
        question="How likely are you to recommend us?",
        tr_nl_question="Hoe waarschijnlijk is het dat u ons aanraadt?",
        tr_nl_why_question="  Waarom?  ",
        **{
            "questions-0-tr_nl_text": "Hoe tevreden bent u?",
            "questions-1-tr_nl_text": "Wat gebruikte u?",
            "questions-1-tr_nl_choices": "App\nWebsite",
        },
    )
    response = client.post("/campaigns/new/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    campaign = Campaign.objects.get()
    assert campaign.translations == {
        "nl": {"question": "Hoe waarschijnlijk is het dat u ons aanraadt?", "why_question": "Waarom?"}
    }
    questions = list(campaign.questions.order_by("order"))
    assert questions[0].translations == {"nl": {"text": "Hoe tevreden bent u?"}}
    assert questions[1].translations == {"nl": {"text": "Wat gebruikte u?", "choices": ["App", "Website"]}}
    html = client.get(f"/campaigns/{campaign.pk}/edit/").content.decode()
    assert 'value="Hoe waarschijnlijk is het dat u ons aanraadt?"' in html  # shown again to edit


def test_a_translated_choice_list_longer_than_the_choices_is_refused(client, admin):
    client.force_login(admin)
    response = client.post("/campaigns/new/", _form(**{"questions-1-tr_nl_choices": "App\nWeb\nExtra"}))
    assert response.status_code == 400
    assert "one translation per choice" in response.content.decode()


def test_the_preview_toggle_shows_the_real_texts_of_each_language(client, admin, campaign):
    client.force_login(admin)
    _r, nl = _page(client, f"/campaigns/{campaign.pk}/preview/?lang=nl")
    assert NL["email_subject"] in nl
    _r, en = _page(client, f"/campaigns/{campaign.pk}/preview/?lang=en")
    assert "One question about your order" in en
    _r, form = _page(client, f"/campaigns/{campaign.pk}/preview/form/?lang=nl")
    assert "Hoe waarschijnlijk is het dat u Acme aanraadt?" in form
    _r, why = _page(client, f"/campaigns/{campaign.pk}/preview/why/?lang=nl")
    assert "Welk kanaal gebruikte u?" in why and "Telefoon" in why
    _r, thanks = _page(client, f"/campaigns/{campaign.pk}/preview/thanks/?lang=nl&category=promoter")
    assert "Dank u, fijn!" in thanks and "Schrijf een review" in thanks


def test_touchpoint_and_root_cause_names_are_translatable(db):
    touchpoint = TouchpointFactory(name="Invoices", slug="invoices", translations={"nl": {"name": "Facturen"}})
    tag = RootCauseTag.objects.create(name="Waiting time", slug="waiting", translations={"nl": {"name": "Wachttijd"}})
    untranslated = TouchpointFactory(name="Renewals", slug="renewals")
    with translation.override("nl"):
        assert (str(touchpoint), str(tag), str(untranslated)) == ("Facturen", "Wachttijd", "Renewals")
    with translation.override("en"):
        assert (str(touchpoint), str(tag)) == ("Invoices", "Waiting time")


def test_the_demo_gives_its_dutch_texts(db):
    from django.core.management import call_command

    call_command("seed_demo", responses=20, contacts=10)
    for campaign in Campaign.objects.all():
        assert missing_translations(campaign) == {}, campaign.name
    with translation.override("nl"):
        assert sorted(str(t) for t in RootCauseTag.objects.all())[0] == "Emotionele betrokkenheid"
        assert "Klantenservice" in [str(t) for t in Touchpoint.objects.all()]
