"""Sending a campaign: waves, the audience, quiet-period skips, schedules, pause and resume, the beat.
The staff pages (the send panel, the Send rule, progress) are in test_send_panel.py, batches in
test_sending_batches.py, reminders in test_reminders.py.

The provider is simulated with anymail's test backend (tests/esp.py): it records every attempt in
django.core.mail.outbox and fails the way a real provider does for some addresses.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.html import escape
from freezegun import freeze_time

from surveys import sending, sending_queries
from surveys.batches import send_batch
from surveys.models import Campaign, Contact, ContactList, Invitation, SendWave
from surveys.sending import campaign_send, send_due_waves, wave_start
from tests.factories import CampaignFactory, ContactFactory, InvitationFactory
from tests.helpers import wait_for
from tests.sending_helpers import send_all, start, statuses


@pytest.fixture
def campaign(db):
    return CampaignFactory(status=Campaign.Status.DRAFT, audience_filter={"plan": "pro"}, quiet_period_days=30)


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
    assert statuses(wave) == {
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


# --- Audience, quiet period, schedule -----------------------------------------------------------
def test_the_audience_is_the_list_or_the_segment(admin, db):
    members = ContactList.objects.create(name="Import")
    inside = ContactFactory(attributes={"plan": "pro"})
    ContactFactory(attributes={"plan": "pro"})  # not on the list
    members.contacts.add(inside, ContactFactory(attributes={"plan": "free"}))
    by_list = CampaignFactory(audience_list=members)
    both = CampaignFactory(audience_list=members, audience_filter={"plan": "pro"})
    assert sending_queries.audience(by_list).count() == 2
    assert list(sending_queries.audience(both)) == [inside]


def test_a_segment_key_is_taken_literally(db):
    ContactFactory(attributes={"plan__contains": "x", "plan": "pro"})
    assert sending_queries.audience(CampaignFactory(audience_filter={"plan__contains": "x"})).count() == 1


def test_the_quiet_period_counts_invitations_from_any_campaign(campaign, provider, admin):
    old = ContactFactory(email="old@example.com")
    recent = ContactFactory(email="recent@example.com")
    never_sent = ContactFactory(email="queued-elsewhere@example.com")
    InvitationFactory(contact=old, sent_at=timezone.now() - timedelta(days=31))
    InvitationFactory(contact=recent, sent_at=timezone.now() - timedelta(days=29))
    InvitationFactory(contact=never_sent, status="queued", sent_at=None)
    wave = start(campaign, admin)
    assert statuses(wave) == {
        "old@example.com": "queued",
        "recent@example.com": "skipped",
        "queued-elsewhere@example.com": "queued",
    }


def test_a_quiet_period_of_zero_skips_nobody(provider, admin):
    campaign = CampaignFactory(status=Campaign.Status.DRAFT, quiet_period_days=0)
    InvitationFactory(contact=ContactFactory(email="today@example.com"))
    wave = start(campaign, admin)
    assert statuses(wave)["today@example.com"] == "queued"


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
    start(campaign, admin)
    with pytest.raises(ValidationError):
        campaign_send(campaign=campaign, actor=admin)
    assert SendWave.objects.count() == 1


def test_sending_again_before_a_scheduled_wave_started_moves_it(campaign, admin):
    ContactFactory()
    later, sooner = timezone.now() + timedelta(days=2), timezone.now() + timedelta(hours=1)
    campaign_send(campaign=campaign, actor=admin, when=later)
    wave = campaign_send(campaign=campaign, actor=admin, when=sooner)
    assert SendWave.objects.count() == 1 and wave.number == 1
    assert SendWave.objects.get().scheduled_for == sooner


def test_closing_a_campaign_mid_wave_skips_the_rest_and_ends_the_wave(campaign, provider, admin):
    from surveys.lifecycle import campaign_transition

    for i in range(3):
        ContactFactory(email=f"c{i}@example.com")
    wave = start(campaign, admin)
    campaign_transition(campaign=campaign, to=Campaign.Status.CLOSED, actor=admin)
    send_all(wave)
    assert provider == []
    assert set(Invitation.objects.values_list("skip_reason", flat=True)) == {sending.CAMPAIGN_CLOSED}
    assert SendWave.objects.get(pk=wave.pk).finished_at is not None


def test_the_beat_ends_the_waves_of_closed_campaigns(campaign, admin):
    from surveys.lifecycle import campaign_transition

    ContactFactory()
    wave = start(campaign, admin)
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
        wave = start(campaign, admin)
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
    wave = start(campaign, admin)  # its batch task was never published (no commit in this test)
    with django_capture_on_commit_callbacks(execute=True):
        send_due_waves()
    assert broker(sending.BATCH_TASK) == []  # still fresh: not stalled yet
    with (
        freeze_time(timezone.now() + sending.STALLED_AFTER + timedelta(minutes=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        send_due_waves()
    assert [args[0] for _task, args in broker(sending.BATCH_TASK)] == [wave.pk]


def test_a_wave_whose_batches_a_broker_restart_lost_is_queued_again_within_minutes(
    campaign, provider, admin, broker, django_capture_on_commit_callbacks
):
    """make chaos: Redis restarted, losing the queued batches. Three minutes later the beat has queued
    them again (it used to wait a quarter of an hour), and a batch waiting for its retry is not doubled."""
    ContactFactory()
    wave = start(campaign, admin)
    with freeze_time(timezone.now() + timedelta(minutes=3)), django_capture_on_commit_callbacks(execute=True):
        send_due_waves()
    assert [args[0] for _task, args in broker(sending.BATCH_TASK)] == [wave.pk]


def test_a_batch_waiting_for_its_retry_keeps_its_wave_from_being_queued_again(
    campaign, admin, broker, django_capture_on_commit_callbacks
):
    from surveys.batches import batch_retry_at

    ContactFactory()
    wave = start(campaign, admin)
    batch_retry_at(wave_id=wave.pk, when=timezone.now() + timedelta(minutes=10))  # as the task does on retry
    with freeze_time(timezone.now() + timedelta(minutes=5)), django_capture_on_commit_callbacks(execute=True):
        send_due_waves()
    assert broker(sending.BATCH_TASK) == []
    with freeze_time(timezone.now() + timedelta(minutes=13)), django_capture_on_commit_callbacks(execute=True):
        send_due_waves()
    assert [args[0] for _task, args in broker(sending.BATCH_TASK)] == [wave.pk]


def test_a_recurring_campaign_sends_its_next_wave_when_due(provider, admin):
    campaign = CampaignFactory(status=Campaign.Status.DRAFT, recurrence_days=90, quiet_period_days=30)
    ContactFactory()
    first = start(campaign, admin)
    send_all(first)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.ACTIVE
    send_due_waves()
    assert campaign.waves.count() == 1
    with freeze_time(timezone.now() + timedelta(days=91)):
        send_due_waves()
        assert campaign.waves.count() == 2
        assert Invitation.objects.filter(wave__number=2, status="queued").count() == 1


def test_a_paused_campaign_sends_nothing_until_resumed(
    campaign, provider, admin, broker, django_capture_on_commit_callbacks
):
    ContactFactory()
    wave = start(campaign, admin)
    sending.campaign_pause(campaign=campaign, actor=admin)
    result = send_all(wave)
    assert result.paused and provider == []
    assert Invitation.objects.get().status == "queued"
    with django_capture_on_commit_callbacks(execute=True):
        sending.campaign_resume(campaign=campaign, actor=admin)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENDING
    assert [args[0] for _task, args in broker(sending.BATCH_TASK)] == [wave.pk]
    send_all(wave)
    assert len(provider) == 1


def test_bulk_sending_has_a_queue_of_its_own_so_answers_never_wait_behind_a_send():
    """make chaos: the answers given during a send of 20,000 waited three minutes behind its batches."""
    from config.celery import app

    def queue(task):
        return app.amqp.router.route({}, task)["queue"].name

    bulk = (
        "surveys.tasks.start_wave",
        "surveys.tasks.send_invitation_batch",
        "surveys.tasks.send_reminder_batch",
        "followups.tasks.send_improvement_notices",
    )
    assert {task: queue(task) for task in bulk} == dict.fromkeys(bulk, "bulk")
    interactive = ("followups.tasks.process_responses", "followups.tasks.notify_owners")
    assert {task: queue(task) for task in interactive} == dict.fromkeys(interactive, "celery")
    assert queue("webhooks.tasks.deliver") == "webhooks"
    assert {q.name for q in app.conf.task_queues} == {"celery", "bulk", "webhooks"}  # a worker consumes all three
