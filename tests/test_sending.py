"""Sending invitations: waves through a real worker, skips, exactly once, retries, reminders.

The provider is simulated with anymail's test backend (tests/esp.py): it records every attempt in
django.core.mail.outbox and fails the way a real provider does for some addresses.
"""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.utils import timezone
from freezegun import freeze_time

from surveys import sending
from surveys.models import Campaign, Contact, ContactList, Invitation, SendWave
from surveys.sending import (
    campaign_send,
    reminders_due,
    send_batch,
    send_due_reminders,
    send_due_waves,
    send_reminder_batch,
    wave_start,
)
from tests.factories import CampaignFactory, ContactFactory, InvitationFactory
from tests.helpers import wait_for


@pytest.fixture
def campaign(db):
    return CampaignFactory(status=Campaign.Status.DRAFT, audience_filter={"plan": "pro"}, quiet_period_days=30)


def _statuses(wave):
    return dict(Invitation.objects.filter(wave=wave).values_list("contact__email", "status"))


def _start(campaign, admin, **kwargs):
    wave = campaign_send(campaign=campaign, actor=admin, **kwargs)
    wave_start(wave_id=wave.pk)
    return wave


def _send_all(wave):
    return send_batch(
        wave_id=wave.pk, invitation_ids=list(Invitation.objects.filter(wave=wave).values_list("pk", flat=True))
    )


# --- Through the real worker --------------------------------------------------------------------
@pytest.mark.worker
def test_a_wave_sends_to_the_audience_and_counts_the_skips(celery_worker, provider, admin):
    campaign = CampaignFactory(status=Campaign.Status.DRAFT, audience_filter={"plan": "pro"})
    ContactFactory(email="ann@example.com")
    ContactFactory(email="bob@example.com", language="nl")
    ContactFactory(email="out@example.com", opted_out_at=timezone.now())
    ContactFactory(email="bounced@example.com", undeliverable_at=timezone.now())
    ContactFactory(email="erased@example.com", erased_at=timezone.now())
    ContactFactory(email="enterprise@example.com", attributes={"plan": "enterprise"})
    recent = ContactFactory(email="recent@example.com")
    InvitationFactory(contact=recent, sent_at=timezone.now() - timedelta(days=3))  # another campaign
    wave = campaign_send(campaign=campaign, actor=admin)  # starts the wave through the worker on commit

    assert wait_for(lambda: SendWave.objects.filter(pk=wave.pk, finished_at__isnull=False).exists(), timeout=30)
    assert _statuses(wave) == {
        "ann@example.com": "sent",
        "bob@example.com": "sent",
        "out@example.com": "skipped",
        "bounced@example.com": "skipped",
        "erased@example.com": "skipped",
        "recent@example.com": "skipped",
    }
    assert sorted(m.to[0] for m in provider) == ["ann@example.com", "bob@example.com"]
    reasons = dict(Invitation.objects.filter(wave=wave, status="skipped").values_list("contact__email", "skip_reason"))
    assert reasons == {
        "out@example.com": "opted out",
        "bounced@example.com": "undeliverable",
        "erased@example.com": "erased",
        "recent@example.com": "surveyed in the last 30 days",
    }
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.ACTIVE
    assert SendWave.objects.get(pk=wave.pk).total == 6


@pytest.mark.worker
def test_a_batch_delivered_twice_at_once_sends_each_invitation_once(celery_worker, provider, admin, campaign):
    from core.queue import send_task_now

    for i in range(30):
        ContactFactory(email=f"c{i}@example.com")
    wave = campaign_send(campaign=campaign, actor=admin)
    assert wait_for(lambda: SendWave.objects.filter(pk=wave.pk, finished_at__isnull=False).exists(), timeout=30)
    Invitation.objects.filter(wave=wave).update(status="queued", sent_at=None)  # as if the first run died
    SendWave.objects.filter(pk=wave.pk).update(finished_at=None)
    mail.outbox.clear()
    ids = list(Invitation.objects.filter(wave=wave).values_list("pk", flat=True))
    send_task_now(sending.BATCH_TASK, wave.pk, ids)
    send_task_now(sending.BATCH_TASK, wave.pk, ids)  # a duplicate delivery, run by the second thread
    assert wait_for(lambda: not Invitation.objects.filter(wave=wave, status="queued").exists(), timeout=30)
    assert wait_for(lambda: SendWave.objects.filter(pk=wave.pk, finished_at__isnull=False).exists(), timeout=10)
    assert sorted(m.to[0] for m in provider) == sorted(f"c{i}@example.com" for i in range(30))


@pytest.mark.worker
def test_a_temporary_provider_error_is_retried_by_the_worker(celery_worker, provider, admin):
    campaign = CampaignFactory(status=Campaign.Status.DRAFT)
    ContactFactory(email="flaky@example.com")
    ContactFactory(email="fine@example.com")
    wave = campaign_send(campaign=campaign, actor=admin)
    assert wait_for(lambda: SendWave.objects.filter(pk=wave.pk, finished_at__isnull=False).exists(), timeout=40)
    assert _statuses(wave) == {"flaky@example.com": "sent", "fine@example.com": "sent"}
    attempts = [m.to[0] for m in provider]
    assert attempts.count("flaky@example.com") == 2  # a 503 first, then delivered
    assert attempts.count("fine@example.com") == 1


@pytest.mark.worker
def test_reminders_go_out_through_the_worker_once(celery_worker, provider):
    campaign = CampaignFactory(reminder_after_days=5)
    with freeze_time(timezone.now() - timedelta(days=6)):
        for i in range(3):
            InvitationFactory(campaign=campaign, contact__email=f"waiting{i}@example.com")
    assert send_due_reminders() == 3
    assert wait_for(lambda: len(mail.outbox) == 3)
    assert send_due_reminders() == 0
    assert sorted(m.to[0] for m in provider) == [f"waiting{i}@example.com" for i in range(3)]


# --- The e-mail ---------------------------------------------------------------------------------
def test_the_invitation_email_has_both_parts_the_scale_and_the_unsubscribe_headers(campaign, provider, admin):
    contact = ContactFactory(email="ann@example.com", name="Ann Smith")
    wave = _start(campaign, admin)
    _send_all(wave)
    message = provider[0]
    invitation = Invitation.objects.get(contact=contact)
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["List-Unsubscribe"].startswith("<http://127.0.0.1")
    assert message.extra_headers["List-Unsubscribe"].count("/u/") == 1
    html = message.alternatives[0][0]
    assert message.alternatives[0][1] == "text/html"
    for score in range(11):
        assert f"/s/{invitation.token}/?score={score}" in html
        assert f"/s/{invitation.token}/?score={score}" in message.body
    assert "Not at all likely" in html and "Extremely likely" in html
    assert "Not at all likely" in message.body and "Extremely likely" in message.body
    assert "Hello Ann," in message.body and "Hello Ann," in html
    assert "How likely is it that you would recommend Acme" in message.body
    invitation.refresh_from_db()
    assert invitation.provider_message_id != "" and invitation.sent_at is not None


def test_the_unsubscribe_link_in_the_email_opts_out(client, campaign, provider, admin):
    contact = ContactFactory()
    _send_all(_start(campaign, admin))
    link = urlsplit(provider[0].extra_headers["List-Unsubscribe"].strip("<>")).path
    assert client.post(link, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert Contact.objects.get(pk=contact.pk).opted_out_at is not None


def test_a_contact_without_a_name_is_greeted_without_one(campaign, provider, admin):
    ContactFactory(name="")
    ContactFactory(name="Bo Lee", email="bo@example.com")
    _send_all(_start(campaign, admin))  # one batch, both greetings
    bodies = {m.to[0]: m.body for m in provider}
    assert bodies["bo@example.com"].startswith("Hello Bo,")
    assert [b for a, b in bodies.items() if a != "bo@example.com"][0].startswith("Hello,\n")


def test_a_name_is_escaped_in_the_html_part(campaign, provider, admin):
    ContactFactory(name="<b>Eve</b> Evil")
    _send_all(_start(campaign, admin))
    assert "<b>Eve</b>" not in provider[0].alternatives[0][0]
    assert "&lt;b&gt;Eve&lt;/b&gt;" in provider[0].alternatives[0][0]


def test_a_dutch_contact_gets_a_dutch_email(campaign, provider, admin):
    ContactFactory(email="jan@example.nl", language="nl")
    ContactFactory(email="ann@example.com", language="en")
    _send_all(_start(campaign, admin))
    by_address = {m.to[0]: m for m in provider}
    assert "aanbevelen" in by_address["jan@example.nl"].body
    assert "aanbevelen" in by_address["jan@example.nl"].alternatives[0][0]
    assert "recommend" in by_address["ann@example.com"].body


def test_the_campaign_language_is_used_for_a_contact_without_one(provider, admin):
    campaign = CampaignFactory(status=Campaign.Status.DRAFT, language="nl")
    ContactFactory(language="")
    _send_all(_start(campaign, admin))
    assert "aanbevelen" in provider[0].body


def test_a_preview_email_writes_nothing(campaign, django_assert_num_queries):
    from surveys.emails import build_invitation_email

    contact = Contact(pk=0, email="jamie@example.com", name="Jamie", language="en")
    with django_assert_num_queries(0):
        message = build_invitation_email(
            invitation=Invitation(campaign=campaign, contact=contact, token="preview"), preview=True
        )
    assert "/s/preview/?score=10" in message.body


# --- Audience, quiet period, schedule -----------------------------------------------------------
def test_the_audience_is_the_list_or_the_segment(admin, db):
    members = ContactList.objects.create(name="Import")
    inside = ContactFactory(attributes={"plan": "pro"})
    ContactFactory(attributes={"plan": "pro"})  # not on the list
    members.contacts.add(inside, ContactFactory(attributes={"plan": "free"}))
    by_list = CampaignFactory(audience_list=members)
    both = CampaignFactory(audience_list=members, audience_filter={"plan": "pro"})
    assert sending.audience(by_list).count() == 2
    assert list(sending.audience(both)) == [inside]


def test_a_segment_key_is_taken_literally(db):
    ContactFactory(attributes={"plan__contains": "x", "plan": "pro"})
    assert sending.audience(CampaignFactory(audience_filter={"plan__contains": "x"})).count() == 1


def test_the_quiet_period_counts_invitations_from_any_campaign(campaign, provider, admin):
    old = ContactFactory(email="old@example.com")
    recent = ContactFactory(email="recent@example.com")
    never_sent = ContactFactory(email="queued-elsewhere@example.com")
    InvitationFactory(contact=old, sent_at=timezone.now() - timedelta(days=31))
    InvitationFactory(contact=recent, sent_at=timezone.now() - timedelta(days=29))
    InvitationFactory(contact=never_sent, status="queued", sent_at=None)
    wave = _start(campaign, admin)
    assert _statuses(wave) == {
        "old@example.com": "queued",
        "recent@example.com": "skipped",
        "queued-elsewhere@example.com": "queued",
    }


def test_a_quiet_period_of_zero_skips_nobody(provider, admin):
    campaign = CampaignFactory(status=Campaign.Status.DRAFT, quiet_period_days=0)
    InvitationFactory(contact=ContactFactory(email="today@example.com"))
    wave = _start(campaign, admin)
    assert _statuses(wave)["today@example.com"] == "queued"


def test_a_scheduled_wave_starts_when_its_time_comes(campaign, provider, admin):
    ContactFactory()
    later = timezone.now() + timedelta(hours=2)
    wave = campaign_send(campaign=campaign, actor=admin, when=later)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SCHEDULED
    assert send_due_waves() == 0
    assert not Invitation.objects.exists()
    with freeze_time(later + timedelta(minutes=1)):
        assert send_due_waves() == 1
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENDING
    assert Invitation.objects.filter(wave=wave, status="queued").count() == 1


def test_a_second_wave_is_refused_while_one_is_sending(campaign, admin):
    from django.core.exceptions import ValidationError

    ContactFactory()
    _start(campaign, admin)
    with pytest.raises(ValidationError):
        campaign_send(campaign=campaign, actor=admin)
    assert SendWave.objects.count() == 1


def test_sending_again_before_a_scheduled_wave_started_moves_it(campaign, admin):
    later, sooner = timezone.now() + timedelta(days=2), timezone.now() + timedelta(hours=1)
    campaign_send(campaign=campaign, actor=admin, when=later)
    wave = campaign_send(campaign=campaign, actor=admin, when=sooner)
    assert SendWave.objects.count() == 1 and wave.number == 1
    assert SendWave.objects.get().scheduled_for == sooner


def test_closing_a_campaign_mid_wave_skips_the_rest_and_ends_the_wave(campaign, provider, admin):
    from surveys.lifecycle import campaign_transition

    for i in range(3):
        ContactFactory(email=f"c{i}@example.com")
    wave = _start(campaign, admin)
    campaign_transition(campaign=campaign, to=Campaign.Status.CLOSED, actor=admin)
    _send_all(wave)
    assert provider == []
    assert set(Invitation.objects.values_list("skip_reason", flat=True)) == {sending.CAMPAIGN_CLOSED}
    assert SendWave.objects.get(pk=wave.pk).finished_at is not None


def test_the_beat_ends_the_waves_of_closed_campaigns(campaign, admin):
    from surveys.lifecycle import campaign_transition

    ContactFactory()
    wave = _start(campaign, admin)
    scheduled = campaign_send(
        campaign=CampaignFactory(status=Campaign.Status.DRAFT), actor=admin, when=timezone.now() + timedelta(days=1)
    )
    campaign_transition(campaign=campaign, to=Campaign.Status.CLOSED, actor=admin)
    campaign_transition(campaign=scheduled.campaign, to=Campaign.Status.CLOSED, actor=admin)
    send_due_waves()
    assert SendWave.objects.filter(finished_at__isnull=True).count() == 0
    assert Invitation.objects.get(wave=wave).status == "skipped"


def test_a_closed_campaign_cannot_be_sent(admin, db):
    from django.core.exceptions import ValidationError

    campaign = CampaignFactory(status=Campaign.Status.CLOSED)
    with pytest.raises(ValidationError):
        campaign_send(campaign=campaign, actor=admin)
    assert not SendWave.objects.exists()


def test_a_spread_wave_queues_each_invitation_when_it_is_due(
    provider, admin, broker, django_capture_on_commit_callbacks
):
    campaign = CampaignFactory(status=Campaign.Status.DRAFT, spread_days=4)
    for i in range(4):
        ContactFactory(email=f"s{i}@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        wave = _start(campaign, admin)
    first = broker(sending.BATCH_TASK)
    assert len(first) == 1 and len(first[0][1][1]) == 1  # only the first is due now
    send_batch(wave_id=wave.pk, invitation_ids=first[0][1][1])
    later = Invitation.objects.filter(wave=wave).order_by("send_after")
    assert [i.send_after.date() for i in later][-1] == (timezone.now() + timedelta(days=3)).date()
    with freeze_time(timezone.now() + timedelta(days=2, minutes=1)), django_capture_on_commit_callbacks(execute=True):
        send_due_waves()
        send_due_waves()  # a second beat queues nothing again
    batches = broker(sending.BATCH_TASK)[1:]
    assert [len(args[1]) for _task, args in batches] == [2]  # the ones due on days 1 and 2


def test_a_stalled_wave_is_queued_again(campaign, provider, admin, broker, django_capture_on_commit_callbacks):
    ContactFactory()
    wave = _start(campaign, admin)  # its batch task was never published (no commit in this test)
    with django_capture_on_commit_callbacks(execute=True):
        send_due_waves()
    assert broker(sending.BATCH_TASK) == []  # still fresh: not stalled yet
    with (
        freeze_time(timezone.now() + sending.STALLED_AFTER + timedelta(minutes=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        send_due_waves()
    assert [args[0] for _task, args in broker(sending.BATCH_TASK)] == [wave.pk]


def test_a_recurring_campaign_sends_its_next_wave_when_due(provider, admin):
    campaign = CampaignFactory(status=Campaign.Status.DRAFT, recurrence_days=90, quiet_period_days=30)
    ContactFactory()
    first = _start(campaign, admin)
    _send_all(first)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.ACTIVE
    send_due_waves()
    assert campaign.waves.count() == 1
    with freeze_time(timezone.now() + timedelta(days=91)):
        send_due_waves()
        assert campaign.waves.count() == 2
        assert Invitation.objects.filter(wave__number=2, status="queued").count() == 1


# --- Batches: exactly once, errors --------------------------------------------------------------
def test_a_batch_that_runs_twice_sends_nothing_twice(campaign, provider, admin):
    for i in range(3):
        ContactFactory(email=f"c{i}@example.com")
    wave = _start(campaign, admin)
    wave_start(wave_id=wave.pk)  # a duplicate start creates nothing twice
    assert Invitation.objects.filter(wave=wave).count() == 3
    _send_all(wave)
    _send_all(wave)
    assert len(provider) == 3
    assert SendWave.objects.get(pk=wave.pk).finished_at is not None


def test_a_permanent_rejection_marks_the_invitation_failed_with_the_reason(campaign, provider, admin):
    ContactFactory(email="rejected@example.com")
    ContactFactory(email="bad-request@example.com")
    result = _send_all(_start(campaign, admin))
    assert result.failed == 2
    reasons = dict(Invitation.objects.values_list("contact__email", "failure_reason"))
    assert "rejected" in reasons["rejected@example.com"].lower()
    assert "400" in reasons["bad-request@example.com"]
    assert set(Invitation.objects.values_list("status", flat=True)) == {"failed"}


def test_an_unexpected_error_fails_one_invitation_and_never_resends_the_others(campaign, provider, admin):
    for email in ("a@example.com", "crash@example.com", "c@example.com"):
        ContactFactory(email=email)
    wave = _start(campaign, admin)
    _send_all(wave)
    assert _statuses(wave) == {"a@example.com": "sent", "crash@example.com": "failed", "c@example.com": "sent"}
    assert "client library broke" in Invitation.objects.get(contact__email="crash@example.com").failure_reason
    _send_all(wave)
    assert sorted(m.to[0] for m in provider) == ["a@example.com", "c@example.com", "crash@example.com"]


def test_a_temporary_error_keeps_the_rest_queued_for_the_retry(campaign, provider, admin):
    for email in ("a@example.com", "down@example.com", "z@example.com"):
        ContactFactory(email=email)
    wave = _start(campaign, admin)
    with pytest.raises(sending.TransientSendError):
        _send_all(wave)
    assert _statuses(wave) == {"a@example.com": "sent", "down@example.com": "queued", "z@example.com": "queued"}


def test_after_the_last_retry_the_batch_is_marked_failed_and_the_wave_ends(campaign, provider, admin):
    from surveys.tasks import MAX_RETRIES, send_invitation_batch

    ContactFactory(email="down@example.com")
    wave = _start(campaign, admin)
    ids = list(Invitation.objects.values_list("pk", flat=True))
    send_invitation_batch.apply(args=[wave.pk, ids])  # eager: every retry runs at once
    assert len(provider) == MAX_RETRIES + 1
    invitation = Invitation.objects.get()
    assert invitation.status == "failed" and "503" in invitation.failure_reason
    assert SendWave.objects.get(pk=wave.pk).finished_at is not None


def test_an_opted_out_contact_is_never_emailed_even_if_queued_earlier(campaign, provider, admin):
    contact = ContactFactory(email="late-optout@example.com")
    wave = _start(campaign, admin)
    Contact.objects.filter(pk=contact.pk).update(opted_out_at=timezone.now())
    _send_all(wave)
    assert provider == []
    assert Invitation.objects.get().skip_reason == "opted out"


def test_a_paused_campaign_sends_nothing_until_resumed(
    campaign, provider, admin, broker, django_capture_on_commit_callbacks
):
    ContactFactory()
    wave = _start(campaign, admin)
    sending.campaign_pause(campaign=campaign, actor=admin)
    result = _send_all(wave)
    assert result.paused and provider == []
    assert Invitation.objects.get().status == "queued"
    with django_capture_on_commit_callbacks(execute=True):
        sending.campaign_resume(campaign=campaign, actor=admin)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENDING
    assert [args[0] for _task, args in broker(sending.BATCH_TASK)] == [wave.pk]
    _send_all(wave)
    assert len(provider) == 1


# --- Reminders ----------------------------------------------------------------------------------
def test_one_reminder_only_to_those_who_did_not_answer(db, provider):
    campaign = CampaignFactory(reminder_after_days=5)
    with freeze_time(timezone.now() - timedelta(days=6)):
        waiting = InvitationFactory(campaign=campaign, contact__email="waiting@example.com")
        InvitationFactory(campaign=campaign, contact__email="answered@example.com", status="answered")
        InvitationFactory(campaign=campaign, contact__email="failed@example.com", status="failed")
        InvitationFactory(campaign=campaign, contact__email="bounced@example.com", status="bounced")
        InvitationFactory(campaign=campaign, contact__email="optout@example.com", contact__opted_out_at=timezone.now())
        InvitationFactory(
            campaign=campaign, contact__email="gone@example.com", contact__undeliverable_at=timezone.now()
        )
    InvitationFactory(campaign=campaign, contact__email="fresh@example.com")
    due = reminders_due()
    assert due == [waiting.pk]
    assert send_reminder_batch(invitation_ids=due).sent == 1
    assert send_reminder_batch(invitation_ids=due).sent == 0  # the task ran twice
    assert reminders_due() == []
    assert [m.to[0] for m in provider] == ["waiting@example.com"]
    assert provider[0].subject.startswith("Reminder:")
    assert provider[0].extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    waiting.refresh_from_db()
    assert waiting.reminded_at is not None


def test_no_reminders_when_the_campaign_has_none_or_is_paused(db, provider):
    with freeze_time(timezone.now() - timedelta(days=30)):
        InvitationFactory(campaign=CampaignFactory(reminder_after_days=None))
        InvitationFactory(campaign=CampaignFactory(reminder_after_days=5, status=Campaign.Status.PAUSED))
        InvitationFactory(campaign=CampaignFactory(reminder_after_days=5, status=Campaign.Status.CLOSED))
    assert reminders_due() == []


def test_each_campaign_reminds_after_its_own_delay(db, provider):
    quick, slow = CampaignFactory(reminder_after_days=2), CampaignFactory(reminder_after_days=10)
    with freeze_time(timezone.now() - timedelta(days=3)):
        due = InvitationFactory(campaign=quick)
        InvitationFactory(campaign=slow)
    assert reminders_due() == [due.pk]


def test_a_reminder_refused_by_the_provider_is_not_tried_again(db, provider):
    with freeze_time(timezone.now() - timedelta(days=6)):
        invitation = InvitationFactory(
            campaign=CampaignFactory(reminder_after_days=5), contact__email="rejected@example.com"
        )
    assert send_reminder_batch(invitation_ids=[invitation.pk]).failed == 1
    assert reminders_due() == []
    assert "Reminder" in Invitation.objects.get().failure_reason


def test_a_reminder_hit_by_an_outage_is_given_back_for_later(db, provider):
    with freeze_time(timezone.now() - timedelta(days=6)):
        invitation = InvitationFactory(
            campaign=CampaignFactory(reminder_after_days=5), contact__email="down@example.com"
        )
    with pytest.raises(sending.TransientSendError):
        send_reminder_batch(invitation_ids=[invitation.pk])
    assert reminders_due() == [invitation.pk]


# --- The staff pages ----------------------------------------------------------------------------
def test_the_progress_partial_counts_and_polls_while_sending(client, admin, campaign, provider):
    ContactFactory(email="a@example.com")
    ContactFactory(email="b@example.com", opted_out_at=timezone.now())
    wave = _start(campaign, admin)
    client.force_login(admin)
    html = client.get(f"/campaigns/{campaign.pk}/progress/").content.decode()
    assert "<strong>1</strong> skipped" in html and "<strong>1</strong> queued" in html
    assert "<strong>2</strong></li>" in html  # of the total
    assert "1 opted out" in html
    assert 'hx-trigger="every 2s"' in html
    _send_all(wave)
    html = client.get(f"/campaigns/{campaign.pk}/progress/").content.decode()
    assert "<strong>1</strong> sent" in html and "100 %" in html and "finished" in html
    assert "hx-trigger" not in html  # done: the polling stops
    polled = client.get(f"/campaigns/{campaign.pk}/progress/", HTTP_HX_REQUEST="true")
    assert polled["HX-Refresh"] == "true"  # and the page reloads once, so its status badge follows


def test_the_progress_counts_take_a_fixed_number_of_queries(
    client, admin, campaign, provider, django_assert_max_num_queries
):
    for _ in range(20):
        ContactFactory()
    _start(campaign, admin)
    client.force_login(admin)
    with django_assert_max_num_queries(10):
        client.get(f"/campaigns/{campaign.pk}/progress/")


def test_admin_sends_now_from_the_campaign_page(client, admin, campaign):
    client.force_login(admin)
    response = client.post(f"/campaigns/{campaign.pk}/send/", {"when": ""})
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENDING
    assert campaign.waves.count() == 1


def test_admin_schedules_a_send(client, admin, campaign):
    client.force_login(admin)
    when = timezone.localtime(timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/campaigns/{campaign.pk}/send/", {"when": when}, follow=True)
    assert "Sending scheduled for" in response.content.decode()
    assert "scheduled for" in client.get(f"/campaigns/{campaign.pk}/progress/").content.decode()
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SCHEDULED


@pytest.mark.parametrize("when", ["2001-01-01T10:00", "not a date", "2026-13-45T99:99"])
def test_a_bad_send_time_is_refused_with_a_message(client, admin, campaign, when):
    client.force_login(admin)
    response = client.post(f"/campaigns/{campaign.pk}/send/", {"when": when})
    assert response.status_code == 400
    assert "invalid-feedback" in response.content.decode() or "has passed" in response.content.decode()
    assert not SendWave.objects.exists()


def test_sending_a_closed_campaign_is_refused_with_a_message(client, admin):
    campaign = CampaignFactory(status=Campaign.Status.CLOSED)
    client.force_login(admin)
    response = client.post(f"/campaigns/{campaign.pk}/send/", {"when": ""})
    assert response.status_code == 400
    assert "A closed campaign cannot be sent." in response.content.decode()


def test_admin_pauses_and_resumes(client, admin, campaign):
    ContactFactory()
    _start(campaign, admin)
    client.force_login(admin)
    assert client.post(f"/campaigns/{campaign.pk}/pause/").status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PAUSED
    assert client.post(f"/campaigns/{campaign.pk}/resume/").status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENDING


@pytest.mark.parametrize("persona", ["agent", "viewer"])
def test_only_admins_send_pause_or_watch(client, personas, campaign, persona):
    client.force_login(personas[persona])
    for url in ("send", "pause", "resume"):
        assert client.post(f"/campaigns/{campaign.pk}/{url}/").status_code == 403
    assert client.get(f"/campaigns/{campaign.pk}/progress/").status_code == 403
    assert not SendWave.objects.exists()


def test_the_send_panel_renders_with_only_the_campaign(rf, admin, campaign):
    from django.template.loader import render_to_string

    ContactFactory()
    request = rf.get("/")
    request.user = admin
    html = render_to_string("surveys/_send_panel.html", {"campaign": campaign}, request=request)
    assert "Send invitations" in html and "<strong>1</strong> contact" in html
    assert "Not sent yet." in html


def test_resuming_a_campaign_that_is_not_paused_says_why(client, admin, campaign):
    client.force_login(admin)
    response = client.post(f"/campaigns/{campaign.pk}/resume/", follow=True)
    assert "Only a paused campaign can be resumed." in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
