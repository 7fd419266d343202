"""Praise reaches the people who earned it (#21.4): a promoter's comment earns kudos for who served
the customer, an earlier case owner it names, a team it names; each person gets at most one batched
e-mail a day (and each team channel one message), exactly once; the praise wall shows it."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from core.models import EmailDelivery
from followups import kudos
from followups.models import Kudos
from followups.processing import response_process
from tests.factories import ContactFactory, FollowUpFactory, InvitationFactory, ResponseFactory, TouchpointFactory
from tests.webhooks_support import Receiver
from webhooks.delivery import delivery_attempt
from webhooks.models import Delivery, Endpoint


@pytest.fixture
def arthur(agent):
    agent.first_name, agent.last_name = "Arthur", "Dent"
    agent.save()
    return agent


@pytest.fixture
def customer(db, arthur, team_a):
    contact = ContactFactory(name="Jan de Vries")
    earlier = ResponseFactory(contact=contact, score=3, submitted_at=timezone.now() - timedelta(days=30))
    FollowUpFactory(response=earlier, owner=arthur, team=team_a)
    return contact


def _promoter(contact, comment, **fields):
    return ResponseFactory(contact=contact, score=10, comment=comment, **fields)


def test_a_promoter_naming_an_earlier_case_owner_praises_them(customer, arthur):
    response = _promoter(customer, "Arthur heeft alles snel opgelost, top!")
    response_process(response_id=response.pk)
    response_process(response_id=response.pk)  # processed again: still once
    [praise] = Kudos.objects.all()
    assert (praise.user, praise.reason) == (arthur, "named")


@pytest.mark.parametrize(
    ("first", "last", "comment"),
    [
        ("José", "García", "Jose heeft alles snel opgelost, top!"),  # the customer typed no accent
        ("Jose", "Garcia", "Dank aan José García, geweldig."),  # the staff member's name has none
        ("Zoë", "Brontë", "ZOE was super vriendelijk"),
        ("Zoe", "Dupont", "Zoë hielp me meteen."),
        ("François", "Lefèvre", "francois lefevre: top service"),
    ],
)
def test_names_match_whatever_the_accents(customer, arthur, first, last, comment):
    arthur.first_name, arthur.last_name = first, last
    arthur.save()
    response_process(response_id=_promoter(customer, comment).pk)
    assert Kudos.objects.get().user == arthur


def test_a_name_inside_another_word_is_not_a_mention(customer, arthur):
    arthur.first_name, arthur.last_name = "Zoë", "Ångström"
    arthur.save()
    response_process(response_id=_promoter(customer, "De zoeker op de website werkt goed.").pk)
    assert not Kudos.objects.exists()


def test_only_promoters_with_a_comment_praise(customer):
    for score, comment in ((4, "Arthur was rude"), (10, "")):
        response_process(response_id=ResponseFactory(contact=customer, score=score, comment=comment).pk)
    assert not Kudos.objects.exists()


def test_who_served_the_customer_gets_the_praise(db, arthur, lead):
    invitation = InvitationFactory(served_by="arthur-agent")
    response = _promoter(invitation.contact, "Heel vriendelijk geholpen.", invitation=invitation)
    response_process(response_id=response.pk)
    assert Kudos.objects.get().user == arthur
    contact = ContactFactory(attributes={"served_by": lead.email})
    response_process(response_id=_promoter(contact, "Prima service").pk)
    assert Kudos.objects.filter(user=lead, reason="served_by").exists()


def test_a_team_named_or_its_touchpoint_named_is_praised(db, team_a, team_b):
    support = TouchpointFactory(name="Support")
    from tests.factories import CampaignFactory

    campaign = CampaignFactory(touchpoint=support, team=team_a)
    response_process(response_id=_promoter(ContactFactory(), "De support was geweldig", campaign=campaign).pk)
    response_process(response_id=_promoter(ContactFactory(), "Dank aan Team B!").pk)
    assert sorted(Kudos.objects.values_list("team__name", "reason")) == [("Team A", "team"), ("Team B", "team")]


def test_kudos_are_batched_into_one_email_a_day_exactly_once(customer, arthur, team_a, mailoutbox, settings):
    settings.KUDOS_HOUR = 16
    receiver = Receiver().start()
    try:
        channel = Endpoint.objects.create(url=receiver.url, format="slack", team=team_a, events=["kudos"])
        response_process(response_id=_promoter(customer, "Arthur: geweldig!").pk)
        response_process(
            response_id=_promoter(
                ContactFactory(attributes={"served_by": "arthur-agent"}), "Arthur Dent is de beste"
            ).pk
        )
        with freeze_time("2026-12-07 10:00:00+01:00"):
            assert kudos.send_daily_kudos() == 0  # before KUDOS_HOUR
        with freeze_time("2026-12-07 16:30:00+01:00"):
            assert kudos.send_daily_kudos() == 1 + 1  # one e-mail, one channel message
            assert kudos.send_daily_kudos() == 0
            [email] = mailoutbox
            assert (
                email.to == [arthur.email]
                and "Arthur: geweldig!" in email.body
                and "Arthur Dent is de beste" in email.body
            )
            assert EmailDelivery.objects.filter(kind="kudos").count() == 1
            [delivery] = Delivery.objects.filter(endpoint=channel)
            assert delivery.event == "kudos" and delivery.key == f"kudos:2026-12-07:{team_a.pk}"
            delivery_attempt(delivery_id=delivery.pk)
            body = json.loads(receiver.received[0].body)
            assert body["blocks"][0]["text"]["text"].startswith("Kudos for Arthur Dent")
            # More praise the same day waits for tomorrow's notice.
            response_process(response_id=_promoter(customer, "Nogmaals dank, Arthur").pk)
            assert kudos.send_daily_kudos() == 0
        with freeze_time("2026-12-08 16:30:00+01:00"):
            assert kudos.send_daily_kudos() == 2
            assert len(mailoutbox) == 2 and "Nogmaals dank, Arthur" in mailoutbox[1].body
            assert "Arthur: geweldig!" not in mailoutbox[1].body
        assert not Kudos.objects.filter(emailed_at__isnull=True).exists()
        assert not Kudos.objects.filter(posted_at__isnull=True).exists()
    finally:
        receiver.stop()


def test_the_praise_wall_shows_a_teams_latest_promoter_comments(client, viewer, customer, arthur, team_a):
    response_process(response_id=_promoter(customer, "Arthur is een <topper>").pk)
    ResponseFactory(score=2, comment="Slecht", team=team_a)
    client.force_login(viewer)
    page = client.get(f"/followups/praise/?team={team_a.pk}").content.decode()
    assert "Arthur is een &lt;topper&gt;" in page and "Arthur Dent" in page and "Slecht" not in page


def test_the_api_trigger_takes_served_by(db, arthur):
    from api.services import survey_trigger
    from tests.factories import CampaignFactory

    campaign = CampaignFactory(kind="transactional")
    result = survey_trigger(campaign=campaign, contact=ContactFactory(), key="ticket-1", served_by="arthur-agent")
    assert result.invitation.served_by == "arthur-agent"
