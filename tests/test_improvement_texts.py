"""An improvement's customer-facing title and "what changed" text per language (#21 with #14): a
Dutch customer reads what the admin wrote in Dutch, in the e-mail's subject and body, on the
public page and in a Dutch team's channel; where one language is empty the other is read. The
choice is core.i18n.in_language, the rule campaigns' texts per language follow too."""

import json

import pytest
from django.utils import translation

from core.i18n import in_language
from followups import public_page
from followups.improvement_texts import customer_texts
from followups.improvements import improvement_link, improvement_ship
from followups.models import Improvement, ImprovementNotice
from followups.notices import notice_message, notice_send
from surveys import wording
from tests.factories import CampaignFactory, ContactFactory, ResponseFactory
from tests.webhooks_support import Receiver
from webhooks.delivery import delivery_attempt
from webhooks.models import Delivery, Endpoint

FORM = {
    "title": "Clearer invoices",
    "title_nl": "Duidelijkere facturen",
    "description_en": "Invoices now show each product line.",
    "description_nl": "Facturen tonen nu elke productregel.",
    "internal_notes": "",
    "keywords": "invoice",
}


@pytest.mark.parametrize(
    ("texts", "language", "own", "expected"),
    [
        ({"en": "Hello", "nl": "Hallo"}, "nl", None, "Hallo"),  # the reader's language
        ({"en": "Hello", "nl": ""}, "nl", None, "Hello"),  # empty: the other language
        ({"en": "", "nl": "Hallo"}, "en", None, "Hallo"),
        ({"en": "", "nl": ""}, "nl", None, ""),
        ({"nl": ""}, "nl", "own text", "own text"),  # a record with its own text falls back to it
        ({"nl": ""}, "nl", "", ""),  # … even an empty one (surveys.wording then says its default)
        ({"en": "Hello", "nl": ""}, "nl", "", ""),
    ],
)
def test_the_one_rule(texts, language, own, expected):
    kwargs = {} if own is None else {"own": own}
    assert in_language(texts, language, **kwargs) == expected


def test_campaign_texts_follow_the_same_rule(db):
    campaign = CampaignFactory(language="en", why_question="", translations={"nl": {"why_question": "Waarom?"}})
    assert wording.translated(campaign, "why_question", "nl") == "Waarom?"
    # The campaign's own (empty) text, never another translation: its translated default is used.
    assert wording.translated(campaign, "why_question", "en") == ""
    with translation.override("en"):
        assert wording.why_question(campaign) == "What is the most important reason for your score?"


def test_an_admin_writes_dutch_and_dutch_customers_read_it(client, admin, mailoutbox):
    client.force_login(admin)
    assert client.post("/improvements/new/", FORM).status_code == 302
    improvement = Improvement.objects.get()
    assert improvement.title_nl == "Duidelijkere facturen"
    jan = ContactFactory(email="jan@example.nl", language="nl", name="Jan")
    ann = ContactFactory(email="ann@example.com", language="en", name="Ann")
    answers = [ResponseFactory(contact=contact, score=4, comment="Facturen zijn onduidelijk") for contact in (jan, ann)]
    improvement_link(improvement=improvement, response_ids=[a.pk for a in answers], actor=admin)

    ship_page = client.get(f"/improvements/{improvement.pk}/ship/").content.decode()
    assert "Dankzij uw feedback: Duidelijkere facturen" in ship_page  # the preview is what is sent
    improvement_ship(improvement=improvement, actor=admin)
    for notice in ImprovementNotice.objects.all():
        notice_send(notice_id=notice.pk)
    dutch = next(m for m in mailoutbox if m.to == [jan.email])
    assert dutch.subject == "Dankzij uw feedback: Duidelijkere facturen"
    assert "Facturen tonen nu elke productregel." in dutch.body and "Invoices now" not in dutch.body
    assert 'lang="nl"' in dutch.alternatives[0][0] and "Clearer invoices" not in dutch.alternatives[0][0]
    english = next(m for m in mailoutbox if m.to == [ann.email])
    assert english.subject == "You said, we did: Clearer invoices"
    assert "Invoices now show each product line." in english.body


@pytest.mark.parametrize(
    ("fields", "language", "title", "description"),
    [
        ({"title_nl": "", "description_nl": ""}, "nl", "Clearer invoices", "Invoices now show each product line."),
        ({"description_en": ""}, "en", "Clearer invoices", "Facturen tonen nu elke productregel."),
        ({}, "nl", "Duidelijkere facturen", "Facturen tonen nu elke productregel."),
    ],
)
def test_an_empty_language_reads_the_other(db, fields, language, title, description):
    improvement = Improvement.objects.create(**{**FORM, **fields})
    assert customer_texts(improvement, language) == {"title": title, "description": description}
    message = notice_message(improvement=improvement, contact=ContactFactory(language=language))
    prefix = "Dankzij uw feedback" if language == "nl" else "You said, we did"
    assert message.subject == f"{prefix}: {title}"
    assert description in message.body


def test_the_public_page_reads_the_same_texts(db):
    improvement = Improvement.objects.create(**{**FORM, "description_nl": ""}, public=True)
    improvement.asked, improvement.shipped_at = 0, None
    dutch = public_page.entry(improvement, "nl")
    assert (dutch["title"], dutch["description"]) == ("Duidelijkere facturen", "Invoices now show each product line.")
    assert public_page.entry(improvement, "en")["title"] == "Clearer invoices"


def test_a_dutch_teams_channel_reads_the_dutch_title(db, team_a, admin):
    team_a.language = "nl"
    team_a.save()
    receiver = Receiver().start()
    try:
        Endpoint.objects.create(url=receiver.url, format="slack", team=team_a, events=["improvement.shipped"])
        improvement = Improvement.objects.create(**{**FORM, "description_nl": ""}, team=team_a)
        improvement_ship(improvement=improvement, actor=admin)
        [delivery] = Delivery.objects.all()
        delivery_attempt(delivery_id=delivery.pk)
        text = json.dumps(json.loads(receiver.received[-1].body), ensure_ascii=False)
    finally:
        receiver.stop()
    assert "Opgeleverd: Duidelijkere facturen" in text
    assert "Invoices now show each product line." in text  # no Dutch text: the English one
