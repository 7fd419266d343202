"""Invitations through a provider's batch API (surveys/esp_batch.py), against a local server that
speaks Mailgun's and SendGrid's send APIs as documented (tests/esp_server.py)."""

import json

import pytest

from surveys.models import Campaign, Invitation
from tests.esp_server import EspServer
from tests.factories import CampaignFactory, ContactFactory
from tests.sending_helpers import send_all, start, statuses

pytestmark = pytest.mark.django_db


@pytest.fixture
def esp():
    with EspServer() as server:
        yield server


@pytest.fixture
def campaign(db):
    return CampaignFactory(status=Campaign.Status.DRAFT, quiet_period_days=0)


def _use(settings, esp, provider):
    for name, value in esp.settings_for(provider).items():
        setattr(settings, name, value)


def _contacts(n, **kwargs):
    return [ContactFactory(email=f"c{i}@example.com", **kwargs) for i in range(n)]


@pytest.mark.parametrize("provider", ["mailgun", "sendgrid"])
def test_250_invitations_go_out_in_one_call_each_recipient_with_their_own_links(
    settings, esp, campaign, admin, provider
):
    _use(settings, esp, provider)
    _contacts(250, name="")
    wave = start(campaign, admin)
    result = send_all(wave)
    assert (result.sent, result.failed, esp.recorder.problems) == (250, 0, [])
    assert esp.recorder.calls == 1
    assert sorted(esp.recorder.recipients) == sorted(f"c{i}@example.com" for i in range(250))
    invitation = Invitation.objects.get(wave=wave, contact__email="c7@example.com")
    assert invitation.status == "sent" and invitation.provider_message_id
    request = esp.recorder.requests[0]
    if provider == "mailgun":
        variables = json.loads(request["fields"]["recipient-variables"][0])
        mine = variables["c7@example.com"]
        assert mine["token"] == invitation.token
        assert "%recipient.token%" in request["fields"]["text"][0]
        assert mine["h:List-Unsubscribe"].startswith("<http") and mine["unsub"] in mine["h:List-Unsubscribe"]
        assert variables["c8@example.com"]["token"] != invitation.token
    else:
        mine = next(p for p in request["json"]["personalizations"] if p["to"][0]["email"] == "c7@example.com")
        assert mine["substitutions"]["-kltoken-"] == invitation.token
        assert "-kltoken-" in request["json"]["content"][0]["value"]
        assert mine["headers"]["List-Unsubscribe"].startswith("<http")
        assert mine["custom_args"]["invitation"] == str(invitation.pk)


def test_each_language_and_greeting_is_one_call_and_names_are_merged(settings, esp, campaign, admin):
    _use(settings, esp, "mailgun")
    ContactFactory(email="ann@example.com", name="Ann <b>Smith</b>", language="en")
    ContactFactory(email="noname@example.com", name="", language="en")
    ContactFactory(email="joost@example.com", name="Joost", language="nl")
    wave = start(campaign, admin)
    assert send_all(wave).sent == 3
    assert esp.recorder.calls == 3
    by_recipient = {}
    for request in esp.recorder.requests:
        for address in request["fields"]["to"]:
            by_recipient[address] = request["fields"]
    assert "%recipient.name%" in by_recipient["ann@example.com"]["text"][0]
    assert "%recipient.namehtml%" in by_recipient["ann@example.com"]["html"][0]
    variables = json.loads(by_recipient["ann@example.com"].get("recipient-variables", ["{}"])[0])
    assert variables["ann@example.com"]["namehtml"] == "Ann"  # the first name only, escaped for HTML
    assert by_recipient["joost@example.com"]["subject"] != by_recipient["ann@example.com"]["subject"]  # Dutch


def test_a_temporary_outage_keeps_the_batch_queued_and_the_retry_sends_each_once(settings, esp, campaign, admin):
    from surveys.delivery import TransientSendError

    _use(settings, esp, "sendgrid")
    _contacts(40)
    wave = start(campaign, admin)
    esp.recorder.fail_next = 1
    with pytest.raises(TransientSendError):
        send_all(wave)
    assert set(statuses(wave).values()) == {"queued"}
    assert send_all(wave).sent == 40
    send_all(wave)  # a repeated batch sends nothing again
    assert sorted(esp.recorder.recipients) == sorted(f"c{i}@example.com" for i in range(40))


def test_without_a_batch_api_each_message_is_its_own_call(settings, esp, campaign, admin):
    _use(settings, esp, "mailgun")
    settings.ESP_BATCH = "off"
    _contacts(5)
    assert send_all(start(campaign, admin)).sent == 5
    assert esp.recorder.calls == 5
