"""Sending invitations: waves through a real worker, skips, exactly once, retries, reminders."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from freezegun import freeze_time

from surveys.models import Campaign, Contact, Invitation, SendWave
from surveys.sending import campaign_send, send_batch, send_due_reminders, wave_start
from tests.factories import CampaignFactory, ContactFactory, InvitationFactory
from tests.helpers import wait_for


@pytest.fixture
def provider(settings):
    from tests import esp

    esp.FLAKY_SEEN.clear()
    settings.EMAIL_BACKEND = "tests.esp.SimulatedProvider"
    mail.outbox = []
    return mail.outbox


@pytest.fixture
def campaign(db):
    return CampaignFactory(status=Campaign.Status.DRAFT, audience_filter={"plan": "pro"}, quiet_period_days=30)


def _statuses(wave):
    return dict(Invitation.objects.filter(wave=wave).values_list("contact__email", "status"))


@pytest.mark.worker
def test_a_wave_sends_to_the_audience_and_counts_the_skips(celery_worker, provider, admin):
    campaign = CampaignFactory(status=Campaign.Status.DRAFT, audience_filter={"plan": "pro"})
    ContactFactory(email="ann@example.com")
    ContactFactory(email="bob@example.com", language="nl")
    ContactFactory(email="out@example.com", opted_out_at=timezone.now())
    ContactFactory(email="enterprise@example.com", attributes={"plan": "enterprise"})
    recent = ContactFactory(email="recent@example.com")
    InvitationFactory(contact=recent, sent_at=timezone.now() - timedelta(days=3))
    wave = campaign_send(campaign=campaign, actor=admin)

    from surveys.tasks import start_wave

    start_wave.delay(wave.pk)
    assert wait_for(lambda: SendWave.objects.filter(pk=wave.pk, finished_at__isnull=False).exists(), timeout=30)
    statuses = _statuses(wave)
    assert statuses == {"ann@example.com": "sent", "bob@example.com": "sent", "out@example.com": "skipped",
                        "recent@example.com": "skipped"}
    assert sorted(m.to[0] for m in provider) == ["ann@example.com", "bob@example.com"]
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.ACTIVE
    reasons = set(Invitation.objects.filter(wave=wave, status="skipped").values_list("skip_reason", flat=True))
    assert reasons == {"opted out", "surveyed in the last 30 days"}


def test_the_invitation_email_has_both_parts_the_scale_and_the_unsubscribe_headers(campaign, provider, admin):
    contact = ContactFactory(email="ann@example.com", name="Ann Smith")
    wave = campaign_send(campaign=campaign, actor=admin)
    wave_start(wave_id=wave.pk)
    invitation = Invitation.objects.get(contact=contact)
    send_batch(wave_id=wave.pk, invitation_ids=[invitation.pk])
    message = provider[0]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["List-Unsubscribe"].startswith("<http://127.0.0.1")
    html = message.alternatives[0][0]
    for score in range(11):
        assert f"/s/{invitation.token}/?score={score}" in html
        assert f"/s/{invitation.token}/?score={score}" in message.body
    assert "Hello Ann," in message.body
    invitation.refresh_from_db()
    assert invitation.provider_message_id != "" and invitation.sent_at is not None


def test_a_dutch_contact_gets_a_dutch_email(campaign, provider, admin):
    ContactFactory(email="jan@example.nl", language="nl")
    wave = campaign_send(campaign=campaign, actor=admin)
    wave_start(wave_id=wave.pk)
    send_batch(wave_id=wave.pk, invitation_ids=list(Invitation.objects.values_list("pk", flat=True)))
    assert "aanbevelen" in provider[0].body


def test_a_batch_that_runs_twice_sends_nothing_twice(campaign, provider, admin):
    for i in range(3):
        ContactFactory(email=f"c{i}@example.com")
    wave = campaign_send(campaign=campaign, actor=admin)
    wave_start(wave_id=wave.pk)
    wave_start(wave_id=wave.pk)  # a duplicate start creates nothing twice
    ids = list(Invitation.objects.filter(wave=wave).values_list("pk", flat=True))
    assert len(ids) == 3
    send_batch(wave_id=wave.pk, invitation_ids=ids)
    send_batch(wave_id=wave.pk, invitation_ids=ids)
    assert len(provider) == 3


def test_a_permanent_rejection_marks_the_invitation_failed_with_the_reason(campaign, provider, admin):
    ContactFactory(email="rejected@example.com")
    wave = campaign_send(campaign=campaign, actor=admin)
    wave_start(wave_id=wave.pk)
    send_batch(wave_id=wave.pk, invitation_ids=list(Invitation.objects.values_list("pk", flat=True)))
    invitation = Invitation.objects.get()
    assert invitation.status == "failed" and "rejected" in invitation.failure_reason.lower()


@pytest.mark.worker
def test_a_temporary_provider_error_is_retried_by_the_worker(celery_worker, provider, admin):
    campaign = CampaignFactory(status=Campaign.Status.DRAFT)
    ContactFactory(email="flaky@example.com")
    ContactFactory(email="fine@example.com")
    wave = campaign_send(campaign=campaign, actor=admin)
    wave_start(wave_id=wave.pk)  # queues the batch task on the real broker
    assert wait_for(lambda: not Invitation.objects.filter(wave=wave, status="queued").exists(), timeout=40)
    assert _statuses(wave) == {"flaky@example.com": "sent", "fine@example.com": "sent"}
    assert [m.to[0] for m in provider].count("flaky@example.com") == 2  # failed once, then delivered


def test_an_opted_out_contact_is_never_emailed_even_if_queued_earlier(campaign, provider, admin):
    contact = ContactFactory(email="late-optout@example.com")
    wave = campaign_send(campaign=campaign, actor=admin)
    wave_start(wave_id=wave.pk)
    Contact.objects.filter(pk=contact.pk).update(opted_out_at=timezone.now())
    send_batch(wave_id=wave.pk, invitation_ids=list(Invitation.objects.values_list("pk", flat=True)))
    assert provider == []


def test_one_reminder_only_to_those_who_did_not_answer(db, provider):
    campaign = CampaignFactory(reminder_after_days=5)
    with freeze_time(timezone.now() - timedelta(days=6)):
        waiting = InvitationFactory(campaign=campaign, contact__email="waiting@example.com")
        InvitationFactory(campaign=campaign, contact__email="answered@example.com", status="answered")
        InvitationFactory(campaign=campaign, contact__email="optout@example.com",
                          contact__opted_out_at=timezone.now())
    InvitationFactory(campaign=campaign, contact__email="fresh@example.com")
    assert send_due_reminders() == 1
    assert send_due_reminders() == 0
    assert [m.to[0] for m in provider] == ["waiting@example.com"]
    assert provider[0].subject.startswith("Reminder:")
    waiting.refresh_from_db()
    assert waiting.reminded_at is not None


def test_the_progress_partial_counts_in_sql(client, admin, campaign, provider):
    ContactFactory(email="a@example.com")
    ContactFactory(email="b@example.com", opted_out_at=timezone.now())
    wave = campaign_send(campaign=campaign, actor=admin)
    wave_start(wave_id=wave.pk)
    client.force_login(admin)
    html = client.get(f"/campaigns/{campaign.pk}/progress/").content.decode()
    assert "<strong>1</strong> skipped" in html and "<strong>1</strong> queued" in html
    assert 'hx-trigger="every 2s"' in html


def test_admin_sends_from_the_campaign_page(client, admin, campaign):
    client.force_login(admin)
    response = client.post(f"/campaigns/{campaign.pk}/send/", {"when": ""})
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENDING
    assert campaign.waves.count() == 1
