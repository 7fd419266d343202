"""Surveys by text message (#22.2): who gets one, what it says, sending hours and the daily cap
(held, never dropped), retries, delivery reports, STOP, the answer's channel, API triggers."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from freezegun import freeze_time

from api.services import trigger_send, trigger_sweep
from core.models import AuditLog, OutboxMessage
from core.sms_providers import messagebird_signature, twilio_signature
from surveys import reminders
from surveys.delivery import TransientSendError
from surveys.models import Campaign, Contact, Invitation, Response
from surveys.sending import wave_start
from tests.api_fixtures import api, api_as, token_for  # noqa: F401
from tests.factories import CampaignFactory, ContactFactory, InvitationFactory, TouchpointFactory
from tests.sending_helpers import send_all, start
from tests.sms_provider import MESSAGEBIRD_KEY, MESSAGEBIRD_SIGNING_KEY, TWILIO_SID, TWILIO_TOKEN, SimulatedSmsApi

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MORNING = "2026-03-10 10:00:00"  # UTC: 11:00 in Amsterdam, 06:00 in New York
NIGHT = "2026-03-10 22:30:00"  # UTC: 23:30 in Amsterdam, 18:30 in New York


@pytest.fixture
def campaign(db):
    return CampaignFactory(
        channel=Campaign.Channel.SMS,
        status=Campaign.Status.DRAFT,
        audience_filter={"plan": "pro"},
        quiet_period_days=30,
    )


@pytest.fixture
def sms_api(settings):
    server = SimulatedSmsApi()
    settings.SMS = {
        **settings.SMS,
        "FROM": "Kringloop",
        "TWILIO_ACCOUNT_SID": TWILIO_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_API_URL": server.url,
        "MESSAGEBIRD_ACCESS_KEY": MESSAGEBIRD_KEY,
        "MESSAGEBIRD_SIGNING_KEY": MESSAGEBIRD_SIGNING_KEY,
        "MESSAGEBIRD_API_URL": server.url,
    }
    yield server
    server.close()


def by_phone(wave) -> dict[str, tuple[str, str]]:
    return {
        i.contact.email: (i.status, i.skip_reason)
        for i in Invitation.objects.filter(wave=wave).select_related("contact")
    }


# --- Who gets one, and what it says ---------------------------------------------------------------
@freeze_time(MORNING)
def test_an_sms_wave_texts_mobile_numbers_and_counts_the_others_as_skipped(campaign, admin, settings):
    ContactFactory(email="ann@example.com", phone="+31612345678")
    ContactFactory(email="nophone@example.com", phone="")
    ContactFactory(email="landline@example.com", phone="+31201234567")
    ContactFactory(email="stopped@example.com", phone="+31612340000", sms_opted_out_at=timezone.now())
    # Unsubscribing from e-mail is not replying STOP to a text: the channels' opt-outs are apart.
    ContactFactory(email="no-email@example.com", phone="+31687654321", opted_out_at=timezone.now())
    ContactFactory(email="erased@example.com", phone="+31611110000", erased_at=timezone.now())
    wave = start(campaign, admin)
    send_all(wave)

    assert by_phone(wave) == {
        "ann@example.com": ("sent", ""),
        "nophone@example.com": ("skipped", "no mobile number"),
        "landline@example.com": ("skipped", "no mobile number"),
        "stopped@example.com": ("skipped", "opted out of text messages"),
        "no-email@example.com": ("sent", ""),
        "erased@example.com": ("skipped", "erased"),
    }
    texts = {m.to: m for m in OutboxMessage.objects.filter(subject="SMS")}
    assert sorted(texts) == ["+31612345678", "+31687654321"]
    ann = Invitation.objects.get(contact__email="ann@example.com")
    text = texts["+31612345678"]
    assert text.body_text == (
        f"{settings.COMPANY_NAME}: how likely are you to recommend us to a friend? Tell us in a minute: "
        f"{settings.SITE_URL}/s/{ann.token}/ Reply STOP to opt out."
    )
    assert "sms" in text.tags and ann.provider_message_id == text.message_id
    assert not OutboxMessage.objects.exclude(subject="SMS").exists()  # no e-mail went out


@freeze_time(MORNING)
def test_a_dutch_contact_gets_the_text_in_dutch(campaign, admin):
    ContactFactory(email="dirk@example.com", phone="+31612345678", language="nl")
    send_all(start(campaign, admin))
    body = OutboxMessage.objects.get(subject="SMS").body_text
    assert "Antwoord STOP" in body and "aanbeveelt" in body, body


@freeze_time(MORNING)
def test_the_answer_through_the_text_messages_link_is_recorded_as_sms(campaign, admin, client):
    ContactFactory(email="ann@example.com", phone="+31612345678")
    send_all(start(campaign, admin))
    invitation = Invitation.objects.get()
    response = client.post(f"/s/{invitation.token}/", {"score": "3"})
    assert response.status_code == 302
    answer = Response.objects.get()
    assert (answer.channel, answer.score, answer.invitation_id) == ("sms", 3, invitation.pk)


# --- Sending hours and the daily cap: held, never dropped ----------------------------------------
def test_at_night_a_text_waits_for_nine_in_the_morning_in_the_contacts_time_zone(campaign, admin):
    ContactFactory(email="ann@example.com", phone="+31612345678")  # Amsterdam: 23:30
    ContactFactory(email="nyc@example.com", phone="+12125550123")  # New York: 18:30
    ContactFactory(email="tokyo@example.com", phone="+31612349999", time_zone="Asia/Tokyo")  # stored zone: 07:30
    with freeze_time(NIGHT):
        wave = start(campaign, admin)
        send_all(wave)
        assert by_phone(wave) == {
            "ann@example.com": ("queued", ""),
            "nyc@example.com": ("sent", ""),
            "tokyo@example.com": ("queued", ""),
        }
        held = dict(Invitation.objects.filter(status="queued").values_list("contact__email", "send_after"))
        assert held["ann@example.com"] == datetime(2026, 3, 11, 9, 0, tzinfo=AMSTERDAM)
        assert held["tokyo@example.com"] == datetime(2026, 3, 11, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
        assert OutboxMessage.objects.filter(subject="SMS").count() == 1
    with freeze_time("2026-03-11 00:30:00"):  # 09:30 in Tokyo, 01:30 in Amsterdam
        send_all(wave)
        assert by_phone(wave)["tokyo@example.com"] == ("sent", "")
        assert by_phone(wave)["ann@example.com"] == ("queued", "")
    with freeze_time("2026-03-11 08:01:00"):  # 09:01 in Amsterdam
        send_all(wave)
        assert by_phone(wave)["ann@example.com"] == ("sent", "")
    assert OutboxMessage.objects.filter(subject="SMS").count() == 3  # each once


def test_the_beat_queues_a_held_text_again_when_its_morning_comes(
    campaign, admin, broker, django_capture_on_commit_callbacks
):
    from surveys.sending import BATCH_TASK, send_due_waves

    ContactFactory(email="ann@example.com", phone="+31612345678")
    with freeze_time(NIGHT):
        wave = start(campaign, admin)
        send_all(wave)
    held = Invitation.objects.get()
    with freeze_time("2026-03-11 07:59:00"), django_capture_on_commit_callbacks(execute=True):
        send_due_waves()
    assert broker(BATCH_TASK) == []  # 08:59 in Amsterdam: not yet
    with freeze_time("2026-03-11 08:01:00"), django_capture_on_commit_callbacks(execute=True):
        send_due_waves()
    assert [args for _task, args in broker(BATCH_TASK)] == [[wave.pk, [held.pk]]]


def test_the_daily_cap_holds_the_rest_until_the_next_day(campaign, admin):
    Campaign.objects.filter(pk=campaign.pk).update(sms_daily_cap=2)
    campaign.refresh_from_db()
    for n in range(3):
        ContactFactory(email=f"c{n}@example.com", phone=f"+3161234500{n}")
    with freeze_time(MORNING):
        wave = start(campaign, admin)
        send_all(wave)
        send_all(wave)  # a second batch the same day sends nothing more
        statuses = sorted(status for status, _reason in by_phone(wave).values())
        assert statuses == ["queued", "sent", "sent"]
        assert Invitation.objects.get(status="queued").send_after == datetime(2026, 3, 11, 0, 0, tzinfo=AMSTERDAM)
    with freeze_time("2026-03-11 09:00:00"):
        send_all(wave)
    assert sorted(status for status, _reason in by_phone(wave).values()) == ["sent", "sent", "sent"]


# --- The provider: retries, delivery reports, STOP ----------------------------------------------------
@freeze_time(MORNING, tick=True)
def test_a_rate_limited_or_failing_provider_is_retried_and_sends_once(campaign, admin, settings, sms_api):
    settings.SMS = {**settings.SMS, "BACKEND": "twilio"}
    ContactFactory(email="ann@example.com", phone="+31612345678")
    wave = start(campaign, admin)
    sms_api.fail_next(429)
    with pytest.raises(TransientSendError):  # the task retries it with backoff (surveys.tasks)
        send_all(wave)
    assert Invitation.objects.get().status == "queued"
    sms_api.fail_next(503)
    with pytest.raises(TransientSendError):
        send_all(wave)
    send_all(wave)
    send_all(wave)  # a duplicate task sends nothing more
    invitation = Invitation.objects.get()
    assert invitation.status == "sent" and invitation.provider_message_id.startswith("SM")
    assert len(sms_api.requests) == 3 and all(not seen.problems for seen in sms_api.requests)
    assert sms_api.requests[-1].fields["To"] == "+31612345678"


@freeze_time(MORNING, tick=True)
def test_twilio_status_callbacks_mark_a_failed_text_bounced(campaign, admin, settings, sms_api, client):
    settings.SMS = {**settings.SMS, "BACKEND": "twilio"}
    ContactFactory(email="ann@example.com", phone="+31612345678")
    send_all(start(campaign, admin))
    invitation = Invitation.objects.get()
    path = "/sms/twilio/status/"

    def report(status, **extra):
        params = {"MessageSid": invitation.provider_message_id, "MessageStatus": status, **extra}
        return client.post(
            path, params, HTTP_X_TWILIO_SIGNATURE=twilio_signature(TWILIO_TOKEN, settings.SITE_URL + path, params)
        )

    forged = {"MessageSid": invitation.provider_message_id, "MessageStatus": "failed"}
    assert client.post(path, forged, HTTP_X_TWILIO_SIGNATURE="bm90IGl0").status_code == 403
    assert client.post("/sms/messagebird/status/", forged).status_code == 404  # not the configured provider
    assert report("delivered").status_code == 200
    assert Invitation.objects.get().status == "sent"
    assert report("undelivered", ErrorCode="30005").status_code == 200
    invitation.refresh_from_db()
    assert (invitation.status, invitation.failure_reason) == ("bounced", "undelivered 30005")
    assert Contact.objects.get().undeliverable_at is None  # e-mail still reaches them


@freeze_time(MORNING, tick=True)
def test_messagebird_status_reports_by_get_are_checked_and_applied(campaign, admin, settings, sms_api, client):
    settings.SMS = {**settings.SMS, "BACKEND": "messagebird"}
    ContactFactory(email="ann@example.com", phone="+31612345678")
    send_all(start(campaign, admin))
    invitation = Invitation.objects.get()
    assert sms_api.requests[0].fields["recipients"] == ["31612345678"]
    path = f"/sms/messagebird/status/?id={invitation.provider_message_id}&status=delivery_failed&statusErrorCode=104"
    assert client.get(path).status_code == 403  # unsigned
    signed = messagebird_signature(MESSAGEBIRD_SIGNING_KEY, settings.SITE_URL + path, b"")
    assert client.get(path, HTTP_MESSAGEBIRD_SIGNATURE_JWT=signed).status_code == 200
    assert Invitation.objects.get().status == "bounced"


def _reply(client, settings, body, sender="+31612345678"):
    path = "/sms/twilio/inbound/"
    params = {"MessageSid": "SMin", "From": sender, "To": "+3197010000000", "Body": body, "AccountSid": TWILIO_SID}
    return client.post(
        path, params, HTTP_X_TWILIO_SIGNATURE=twilio_signature(TWILIO_TOKEN, settings.SITE_URL + path, params)
    )


@pytest.mark.parametrize("word", ["STOP", "stop", "Stop.", "STOPPEN", "afmelden", "Uitschrijven"])
def test_a_stop_reply_opts_out_of_text_messages_only(db, settings, sms_api, client, word):
    settings.SMS = {**settings.SMS, "BACKEND": "twilio"}
    ann = ContactFactory(email="ann@example.com", phone="+31612345678")
    other = ContactFactory(email="other@example.com", phone="+31687654321")
    response = _reply(client, settings, word)
    assert response.status_code == 200 and response["Content-Type"] == "text/xml"
    assert b"<Response></Response>" in response.content
    ann.refresh_from_db()
    assert ann.sms_opted_out_at is not None and ann.opted_out_at is None
    assert Contact.objects.get(pk=other.pk).sms_opted_out_at is None
    assert AuditLog.objects.filter(action="contact.sms_opted_out", target_id=str(ann.pk)).exists()


def test_start_opts_back_in_other_replies_and_forged_ones_change_nothing(db, settings, sms_api, client):
    settings.SMS = {**settings.SMS, "BACKEND": "twilio"}
    ann = ContactFactory(email="ann@example.com", phone="+31612345678", sms_opted_out_at=timezone.now())
    _reply(client, settings, "Thanks, great service!")
    assert Contact.objects.get(pk=ann.pk).sms_opted_out_at is not None
    _reply(client, settings, "START")
    assert Contact.objects.get(pk=ann.pk).sms_opted_out_at is None
    params = {"From": "+31612345678", "Body": "STOP"}
    assert client.post("/sms/twilio/inbound/", params, HTTP_X_TWILIO_SIGNATURE="forged").status_code == 403
    assert Contact.objects.get(pk=ann.pk).sms_opted_out_at is None


def test_after_stop_the_next_sms_wave_skips_the_contact_but_email_still_reaches_them(
    db, admin, settings, sms_api, client
):
    settings.SMS = {**settings.SMS, "BACKEND": "twilio"}
    ContactFactory(email="ann@example.com", phone="+31612345678")
    _reply(client, settings, "STOP")
    settings.SMS = {**settings.SMS, "BACKEND": "outbox"}
    sms_campaign = CampaignFactory(channel=Campaign.Channel.SMS, status=Campaign.Status.DRAFT, quiet_period_days=0)
    email_campaign = CampaignFactory(status=Campaign.Status.DRAFT, quiet_period_days=0)
    with freeze_time(MORNING):
        sms_wave = start(sms_campaign, admin)
        email_wave = start(email_campaign, admin)
    assert by_phone(sms_wave) == {"ann@example.com": ("skipped", "opted out of text messages")}
    assert by_phone(email_wave) == {"ann@example.com": ("queued", "")}


# --- Reminders and the quiet period ---------------------------------------------------------------
def test_a_text_message_is_never_reminded_and_counts_for_the_quiet_period(db, admin):
    contact = ContactFactory(email="ann@example.com", phone="+31612345678")
    sms_campaign = CampaignFactory(channel=Campaign.Channel.SMS, reminder_after_days=1)
    InvitationFactory(campaign=sms_campaign, contact=contact, sent_at=timezone.now() - timedelta(days=3))
    assert reminders.reminders_due() == []
    email_campaign = CampaignFactory(status=Campaign.Status.DRAFT, quiet_period_days=30)
    wave = start(email_campaign, admin)
    assert by_phone(wave) == {"ann@example.com": ("skipped", "surveyed in the last 30 days")}


# --- Triggered through the API -------------------------------------------------------------------
@pytest.fixture
def sms_support(db):
    return CampaignFactory(
        kind=Campaign.Kind.TRANSACTIONAL,
        channel=Campaign.Channel.SMS,
        status=Campaign.Status.ACTIVE,
        quiet_period_days=0,
        touchpoint=TouchpointFactory(name="Delivery", slug="delivery"),
    )


def test_the_api_triggers_a_text_message_by_touchpoint_and_channel(api, sms_support):  # noqa: F811
    contact = ContactFactory(email="ann@example.com", phone="+31612345678")
    email_only = api.post(
        "/api/surveys/trigger/", {"touchpoint": "delivery", "contact": contact.pk, "key": "k0"}, format="json"
    )
    assert email_only.status_code == 409  # the touchpoint has no e-mail campaign
    made = api.post(
        "/api/surveys/trigger/",
        {"touchpoint": "delivery", "channel": "sms", "contact": contact.pk, "key": "order-1"},
        format="json",
    )
    assert made.status_code == 201, made.json()
    assert made.json()["status"] == "queued"
    wrong = api.post(
        "/api/surveys/trigger/",
        {"campaign": sms_support.pk, "channel": "email", "contact": contact.pk, "key": "order-2"},
        format="json",
    )
    assert wrong.status_code == 400 and "channel" in wrong.json()["errors"], wrong.json()
    with freeze_time(MORNING):
        assert trigger_send(invitation_id=made.json()["id"]) == "sent"
    assert OutboxMessage.objects.get(subject="SMS").to == "+31612345678"


def test_a_triggered_text_at_night_waits_and_the_sweep_sends_it_in_the_morning(
    sms_support, broker, django_capture_on_commit_callbacks
):
    from api.services import SEND_TASK

    contact = ContactFactory(email="ann@example.com", phone="+31612345678")
    with freeze_time(NIGHT):
        invitation = Invitation.objects.create(campaign=sms_support, contact=contact, trigger_key="late-1")
        assert trigger_send(invitation_id=invitation.pk) == "queued"
        assert trigger_sweep(now=timezone.now() + timedelta(hours=1)) == 0  # still night: not due
    invitation.refresh_from_db()
    assert invitation.send_after == datetime(2026, 3, 11, 9, 0, tzinfo=AMSTERDAM)
    with freeze_time("2026-03-11 08:05:00"):
        with django_capture_on_commit_callbacks(execute=True):
            assert trigger_sweep() == 1
        assert trigger_send(invitation_id=invitation.pk) == "sent"
    assert [args for _t, args in broker(SEND_TASK)][-1] == [invitation.pk]


@freeze_time(MORNING)
def test_an_sms_campaign_is_sent_from_its_page_showing_its_hours_cap_and_stop(campaign, admin, client):
    """The campaign page offers Send for a text-message campaign (as for e-mail), says when texts go out,
    the daily cap and what STOP does, asks first, and the texts land in the outbox."""
    campaign.sms_daily_cap = 50
    campaign.save()
    ContactFactory(email="ann@example.com", phone="+31612345678", attributes={"plan": "pro"})
    ContactFactory(
        email="stopped@example.com", phone="+31612340000", sms_opted_out_at=timezone.now(), attributes={"plan": "pro"}
    )
    client.force_login(admin)
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert f'action="/campaigns/{campaign.pk}/send/"' in page
    assert "between 09:00 and 20:00 in each contact's own time zone" in page
    assert "At most 50 text messages a day" in page and "replied STOP" in page
    confirm = client.post(f"/campaigns/{campaign.pk}/send/", {"when": ""}).content.decode()
    assert "<strong>1</strong> contact will be invited" in confirm
    assert "1 opted out of text messages" in confirm and "At most 50 text messages a day" in confirm
    assert client.post(f"/campaigns/{campaign.pk}/send/", {"when": "", "confirmed": "1"}).status_code == 302
    wave = campaign.waves.get()
    wave_start(wave_id=wave.pk)
    send_all(wave)
    assert [m.to for m in OutboxMessage.objects.filter(subject="SMS")] == ["+31612345678"]
