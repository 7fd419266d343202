"""Slack and Microsoft Teams per team (#21.3): the events a team chose, as a Block Kit message or an
Adaptive Card in the team's language, delivered through the webhook machinery (retries, exactly
once, the delivery log) to a local HTTP receiver that checks each body against the documented shape."""

import json
from datetime import timedelta

import jsonschema
import pytest
from django.utils import timezone

from core.models import AuditLog
from followups.models import FollowUp
from scoring.chat_summary import post_weekly_summaries
from tests.factories import ContactFactory, FollowUpFactory, ResponseFactory
from tests.inbound_support import CUSTOMER, case, case_address, webhook_auth  # fixtures by name
from tests.webhooks_support import Receiver
from webhooks.chat import REPLY_MAX, reply_excerpt
from webhooks.delivery import RETRY_DELAYS, delivery_attempt
from webhooks.events import emit
from webhooks.models import Delivery, Endpoint
from webhooks.services import endpoint_ping

# Slack incoming webhooks: api.slack.com/messaging/webhooks, api.slack.com/reference/block-kit/blocks.
TEXT = {
    "type": "object",
    "required": ["type", "text"],
    "properties": {"type": {"enum": ["plain_text", "mrkdwn"]}, "text": {"type": "string", "minLength": 1}},
}
SLACK = {
    "type": "object",
    "required": ["text", "blocks"],
    "properties": {
        "text": {"type": "string", "minLength": 1},
        "blocks": {
            "type": "array",
            "maxItems": 50,
            "items": {
                "oneOf": [
                    {
                        "type": "object",
                        "required": ["type", "text"],
                        "properties": {
                            "type": {"const": "header"},
                            "text": {
                                **TEXT,
                                "properties": {
                                    **TEXT["properties"],
                                    "type": {"const": "plain_text"},
                                    "text": {"type": "string", "maxLength": 150},
                                },
                            },
                        },
                    },
                    {
                        "type": "object",
                        "required": ["type"],
                        "anyOf": [{"required": ["text"]}, {"required": ["fields"]}],
                        "properties": {
                            "type": {"const": "section"},
                            "text": {
                                **TEXT,
                                "properties": {**TEXT["properties"], "text": {"type": "string", "maxLength": 3000}},
                            },
                            "fields": {
                                "type": "array",
                                "maxItems": 10,
                                "items": {
                                    **TEXT,
                                    "properties": {**TEXT["properties"], "text": {"type": "string", "maxLength": 2000}},
                                },
                            },
                        },
                    },
                    {
                        "type": "object",
                        "required": ["type", "elements"],
                        "properties": {
                            "type": {"const": "actions"},
                            "elements": {
                                "type": "array",
                                "maxItems": 25,
                                "items": {
                                    "type": "object",
                                    "required": ["type", "text"],
                                    "properties": {
                                        "type": {"const": "button"},
                                        "text": {
                                            **TEXT,
                                            "properties": {**TEXT["properties"], "type": {"const": "plain_text"}},
                                        },
                                        "url": {"type": "string", "format": "uri", "maxLength": 3000},
                                        "style": {"enum": ["primary", "danger"]},
                                    },
                                },
                            },
                        },
                    },
                ]
            },
        },
    },
}
# Teams workflow webhooks: a message with one Adaptive Card attachment (adaptivecards.io, 1.4).
CARD_ELEMENT = {
    "oneOf": [
        {
            "type": "object",
            "required": ["type", "text"],
            "properties": {
                "type": {"const": "TextBlock"},
                "text": {"type": "string", "minLength": 1},
                "wrap": {"type": "boolean"},
            },
        },
        {
            "type": "object",
            "required": ["type", "facts"],
            "properties": {
                "type": {"const": "FactSet"},
                "facts": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["title", "value"],
                        "properties": {"title": {"type": "string"}, "value": {"type": "string"}},
                    },
                },
            },
        },
    ]
}
TEAMS = {
    "type": "object",
    "required": ["type", "attachments"],
    "properties": {
        "type": {"const": "message"},
        "attachments": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["contentType", "content"],
                "properties": {
                    "contentType": {"const": "application/vnd.microsoft.card.adaptive"},
                    "content": {
                        "type": "object",
                        "required": ["type", "version", "body"],
                        "properties": {
                            "type": {"const": "AdaptiveCard"},
                            "version": {"type": "string", "pattern": r"^1\.[0-6]$"},
                            "body": {"type": "array", "minItems": 1, "items": CARD_ELEMENT},
                            "actions": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["type", "title", "url"],
                                    "properties": {"type": {"const": "Action.OpenUrl"}},
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}
SCHEMAS = {"slack": SLACK, "teams": TEAMS}


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def dutch_team(team_a):
    team_a.language = "nl"
    team_a.save()
    return team_a


def _channel(receiver, fmt, team, events=("followup.detractor", "followup.replied", "followup.escalated")):
    return Endpoint.objects.create(url=receiver.url, format=fmt, team=team, events=list(events))


def _case(team, score=2, **fields):
    contact = ContactFactory(name="Jan de Vries", company="De Vries BV")
    return FollowUpFactory(
        team=team, response=ResponseFactory(score=score, contact=contact, comment="Te <duur> & traag"), **fields
    )


def _sent_body(receiver, fmt) -> dict:
    body = json.loads(receiver.received[-1].body)
    jsonschema.validate(body, SCHEMAS[fmt], format_checker=jsonschema.FormatChecker())
    return body


@pytest.mark.parametrize("fmt", ["slack", "teams"])
def test_a_new_detractor_case_reaches_its_teams_channel_in_the_teams_language(fmt, receiver, dutch_team, team_b, agent):
    channel = _channel(receiver, fmt, dutch_team)
    case = _case(dutch_team, owner=agent)
    emit("followup.created", case)
    emit("followup.created", _case(dutch_team, score=8))  # a passive: not asked for
    emit("followup.created", _case(team_b))  # another team's
    [delivery] = Delivery.objects.filter(endpoint=channel)
    assert delivery.event == "followup.detractor"
    assert delivery_attempt(delivery_id=delivery.pk).attempted
    body = _sent_body(receiver, fmt)
    text = json.dumps(body, ensure_ascii=False)
    assert f"Nieuwe zaak #{case.pk} van een criticaster: score 2" in text
    assert "Jan de Vries (De Vries BV)" in text and "Open de zaak" in text and f"/followups/{case.pk}/" in text
    if fmt == "slack":
        assert "Te &lt;duur&gt; &amp; traag" in text  # mrkdwn escaped
        assert body["blocks"][0]["type"] == "header"
    else:
        assert body["attachments"][0]["content"]["actions"][0]["type"] == "Action.OpenUrl"
    delivery.refresh_from_db()
    assert delivery.status == "delivered"


def test_a_500_is_retried_with_backoff_then_delivered_once(receiver, team_a):
    receiver.statuses = [500, 200]
    channel = _channel(receiver, "slack", team_a)
    emit("followup.created", _case(team_a))
    delivery = Delivery.objects.get(endpoint=channel)
    outcome = delivery_attempt(delivery_id=delivery.pk)
    assert RETRY_DELAYS[0] <= outcome.retry_in <= RETRY_DELAYS[0] * 1.1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_status_code) == ("pending", 500)
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert delivery_attempt(delivery_id=delivery.pk).attempted
    assert not delivery_attempt(delivery_id=delivery.pk).attempted  # delivered: never again
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert len(receiver.received) == 2 and receiver.received[0].body == receiver.received[1].body
    _sent_body(receiver, "slack")
    assert [a.status_code for a in delivery.attempt_log.all()] == [500, 200]


def test_the_customer_replied_and_escalated_events(receiver, team_a):
    channel = _channel(receiver, "teams", team_a)
    case = _case(team_a, status=FollowUp.Status.REPLIED, escalation_level=1)
    emit("followup.replied", case)
    emit("followup.escalated", case)
    assert sorted(Delivery.objects.filter(endpoint=channel).values_list("event", flat=True)) == [
        "followup.escalated",
        "followup.replied",
    ]
    for delivery in Delivery.objects.filter(endpoint=channel):
        delivery_attempt(delivery_id=delivery.pk)
        _sent_body(receiver, "teams")
    texts = [r.body.decode() for r in receiver.received]
    assert any("replied by e-mail on case" in t for t in texts)
    assert any("is overdue (escalation level 1)" in t for t in texts)


LONG_REPLY = (
    "Dank u. De factuur klopt nog steeds niet. " + "Ik heb er drie keer over gebeld en niemand belde terug. " * 20
)


@pytest.mark.parametrize("fmt", ["slack", "teams"])
def test_the_customer_replied_message_shows_their_reply_without_the_quoted_mail(fmt, settings, client, receiver, case):
    """The customer's e-mail posted through the ESP's inbound webhook, as Postmark sends it."""
    settings.INBOUND_DOMAIN = "replies.example.com"
    channel = _channel(receiver, fmt, case.team, events=["followup.replied"])
    plain = Endpoint.objects.create(url=receiver.url, events=["followup.replied"])
    full = (
        f"{LONG_REPLY}\n\n-- \nJan de Vries\nDe Vries BV\n\n"
        "Op 5 dec. 2026 om 10:15 schreef Acme <nps@acme.example>:\n"
        "> Beste Jan,\n> Wij hebben het bedrag terugbetaald.\n"
    )
    payload = {
        "From": CUSTOMER,
        "FromFull": {"Email": CUSTOMER, "Name": "Jan de Vries", "MailboxHash": ""},
        "To": case_address(case),
        "ToFull": [{"Email": case_address(case), "Name": "", "MailboxHash": ""}],
        "OriginalRecipient": case_address(case),
        "Subject": "Re: Over uw feedback aan Acme",
        "MessageID": "73e6d360-66eb-11e1-8e72-a8904824019b",
        "TextBody": full,
        "StrippedTextReply": "",
        "Headers": [{"Name": "Message-ID", "Value": "<reply-1@mail.example.nl>"}],
        "Attachments": [],
    }
    posted = client.post(
        "/anymail/postmark/inbound/", json.dumps(payload), content_type="application/json", **webhook_auth()
    )
    assert posted.status_code == 200
    [delivery] = Delivery.objects.filter(endpoint=channel)
    assert delivery_attempt(delivery_id=delivery.pk).attempted
    body = _sent_body(receiver, fmt)
    text = json.dumps(body, ensure_ascii=False)
    assert "Dank u. De factuur klopt nog steeds niet. Ik heb er drie keer over gebeld" in text
    assert "Wij hebben het bedrag terugbetaald" not in text and "Beste Jan" not in text  # no quoted history
    assert "De Vries BV\\n" not in text  # nor the signature
    assert "Re: Over uw feedback aan Acme" in text
    shown = (
        body["blocks"][1]["text"]["text"] if fmt == "slack" else body["attachments"][0]["content"]["body"][1]["text"]
    )
    assert shown.rstrip("”").endswith("…")
    assert len(shown.removeprefix("> ").strip("“”")) <= REPLY_MAX  # capped
    # Kringloop-format endpoints get the whole trimmed reply beside the case.
    data = json.loads(Delivery.objects.get(endpoint=plain).body)["data"]
    assert data["followup"]["id"] == case.pk and data["followup"]["status"] == "replied"
    assert data["reply"]["text"] == LONG_REPLY.strip() and data["reply"]["subject"] == "Re: Over uw feedback aan Acme"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thanks.\n> On Monday you wrote:\n> old text", "Thanks."),
        ("One\n\n\n\nTwo", "One\n\nTwo"),
        ("word " * 200, ("word " * 99).strip() + "…"),
    ],
)
def test_a_reply_excerpt_drops_quotes_folds_blank_lines_and_cuts_at_a_word(text, expected):
    assert reply_excerpt(text) == expected


def test_the_weekly_summary_is_posted_once_per_channel_and_week(receiver, dutch_team):
    channel = _channel(receiver, "slack", dutch_team, events=["summary.weekly"])
    everyone = Endpoint.objects.create(url=receiver.url, format="teams", events=["summary.weekly"])
    _case(dutch_team)
    assert post_weekly_summaries(force=True) == 2
    assert post_weekly_summaries(force=True) == 0  # the beat runs hourly: nothing twice
    [team_summary] = Delivery.objects.filter(endpoint=channel)
    [all_summary] = Delivery.objects.filter(endpoint=everyone)
    for delivery, fmt in ((team_summary, "slack"), (all_summary, "teams")):
        delivery_attempt(delivery_id=delivery.pk)
        _sent_body(receiver, fmt)
    assert "Wekelijks NPS-overzicht: Team A" in receiver.received[0].body.decode()
    assert "Nieuwe criticasters" in receiver.received[0].body.decode()


def test_a_test_message_to_a_channel_is_in_its_format(receiver, team_a, admin):
    channel = _channel(receiver, "slack", team_a)
    delivery = endpoint_ping(endpoint=channel, actor=admin)
    delivery_attempt(delivery_id=delivery.pk)
    assert "Test message from Kringloop" in json.dumps(_sent_body(receiver, "slack"))


def test_an_admin_connects_a_teams_channel_for_a_team(client, admin, team_a, receiver):
    client.force_login(admin)
    page = client.get("/webhooks/new/?chat=1").content.decode()
    assert "Slack or Microsoft Teams channel" in page and "A new detractor case" in page
    response = client.post(
        "/webhooks/new/?chat=1",
        {
            "format": "teams",
            "url": receiver.url,
            "team": team_a.pk,
            "events": ["followup.detractor", "kudos"],
            "active": "on",
        },
    )
    assert response.status_code == 302
    channel = Endpoint.objects.get()
    assert (channel.format, channel.team, channel.events) == ("teams", team_a, ["followup.detractor", "kudos"])
    assert AuditLog.objects.filter(action="webhook.created").exists()
    refused = client.post(
        "/webhooks/new/?chat=1",
        {"format": "slack", "url": "ftp://example.com/x", "team": team_a.pk, "events": ["followup.detractor"]},
    )
    assert refused.status_code == 400
    listing = client.get("/webhooks/").content.decode()
    assert "Microsoft Teams" in listing and "Team A" in listing


def test_plain_endpoints_still_get_the_signed_envelope(receiver, team_a):
    plain = Endpoint.objects.create(url=receiver.url, events=["followup.created"])
    emit("followup.created", _case(team_a, score=8))
    delivery = Delivery.objects.get(endpoint=plain)
    assert json.loads(delivery.body)["type"] == "followup.created"
