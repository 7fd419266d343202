"""Sending a campaign: waves, the audience, quiet-period skips, schedules, pause and resume, and
the staff pages (the send panel and its progress). Batches are in test_sending_batches.py,
reminders in test_reminders.py.

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


# --- The staff pages ----------------------------------------------------------------------------
def test_the_progress_partial_counts_and_polls_while_sending(client, admin, campaign, provider):
    ContactFactory(email="a@example.com")
    ContactFactory(email="b@example.com", opted_out_at=timezone.now())
    wave = start(campaign, admin)
    client.force_login(admin)
    html = client.get(f"/campaigns/{campaign.pk}/progress/").content.decode()
    assert "<strong>1</strong> skipped" in html and "<strong>1</strong> queued" in html
    assert "<strong>2</strong></li>" in html  # of the total
    assert "1 opted out" in html
    assert 'hx-trigger="every 2s"' in html
    send_all(wave)
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
    start(campaign, admin)
    client.force_login(admin)
    with django_assert_max_num_queries(10):
        client.get(f"/campaigns/{campaign.pk}/progress/")


def test_admin_sends_now_from_the_campaign_page(client, admin, campaign):
    ContactFactory()
    client.force_login(admin)
    response = client.post(f"/campaigns/{campaign.pk}/send/", {"when": ""})
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENDING
    assert campaign.waves.count() == 1


def test_admin_schedules_a_send(client, admin, campaign):
    ContactFactory()
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
    start(campaign, admin)
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


def _draft_with_audience(campaign, admin):
    ContactFactory()
    return campaign


def _draft_without_audience(campaign, admin):
    return campaign


def _draft_with_a_wave_left_from_a_schedule(campaign, admin):
    from surveys.lifecycle import campaign_transition

    ContactFactory()
    campaign_send(campaign=campaign, actor=admin, when=timezone.now() + timedelta(days=1))
    campaign_transition(campaign=campaign, to=Campaign.Status.DRAFT, actor=admin)
    return campaign


def _scheduled(campaign, admin):
    ContactFactory()
    campaign_send(campaign=campaign, actor=admin, when=timezone.now() + timedelta(days=1))
    return campaign


def _sending_not_started_yet(campaign, admin):
    ContactFactory()
    campaign_send(campaign=campaign, actor=admin)  # the start task runs after commit: not in this test
    return campaign


def _sending(campaign, admin):
    ContactFactory()
    start(campaign, admin)
    return campaign


def _paused_mid_wave(campaign, admin):
    ContactFactory()
    start(campaign, admin)
    sending.campaign_pause(campaign=campaign, actor=admin)
    return campaign


def _paused_before_a_scheduled_wave(campaign, admin):
    ContactFactory()
    campaign_send(campaign=campaign, actor=admin, when=timezone.now() + timedelta(days=1))
    sending.campaign_pause(campaign=campaign, actor=admin)
    return campaign


def _active_after_a_wave(campaign, admin):
    ContactFactory()
    send_all(start(campaign, admin))
    return campaign


def _active_with_nobody_left_in_the_audience(campaign, admin):
    contact = ContactFactory()
    send_all(start(campaign, admin))
    Contact.objects.filter(pk=contact.pk).update(attributes={"plan": "enterprise"})  # out of the segment
    return campaign


def _active_without_sending(campaign, admin):
    from surveys.lifecycle import campaign_transition

    ContactFactory()
    campaign_transition(campaign=campaign, to=Campaign.Status.ACTIVE, actor=admin)  # "Open for answers"
    return campaign


def _paused_after_a_wave(campaign, admin):
    ContactFactory()
    send_all(start(campaign, admin))
    sending.campaign_pause(campaign=campaign, actor=admin)
    return campaign


def _closed(campaign, admin):
    ContactFactory()
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CLOSED)
    return campaign


def _link_only(campaign, admin):
    ContactFactory()
    Campaign.objects.filter(pk=campaign.pk).update(channel=Campaign.Channel.WEB)
    return campaign


@pytest.mark.parametrize(
    "state, allowed",
    [
        (_draft_with_audience, True),
        (_draft_without_audience, False),
        (_draft_with_a_wave_left_from_a_schedule, True),
        (_scheduled, True),  # sending again moves the wave to the new time
        (_sending_not_started_yet, False),
        (_sending, False),
        (_paused_mid_wave, False),
        (_paused_before_a_scheduled_wave, False),
        (_active_after_a_wave, True),
        (_active_with_nobody_left_in_the_audience, False),
        (_active_without_sending, True),
        (_paused_after_a_wave, True),
        (_closed, False),
        (_link_only, False),
    ],
)
def test_the_send_button_shows_exactly_when_the_send_endpoint_accepts(
    client, admin, campaign, provider, state, allowed
):
    campaign = state(campaign, admin)
    campaign.refresh_from_db()
    refusal = sending_queries.send_refusal(campaign)
    client.force_login(admin)
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    waves_before = list(SendWave.objects.filter(campaign=campaign).values_list("pk", "scheduled_for"))

    response = client.post(f"/campaigns/{campaign.pk}/send/", {"when": ""})

    assert ("Send invitations" in page) is allowed
    assert (response.status_code == 302) is allowed
    assert (refusal == "") is allowed
    waves_after = list(SendWave.objects.filter(campaign=campaign).values_list("pk", "scheduled_for"))
    if allowed:  # a new wave, or the one not started yet moved to now
        assert waves_after != waves_before
    else:
        assert response.status_code == 400 and escape(refusal) in response.content.decode()
        assert waves_after == waves_before


def test_the_campaign_page_says_why_it_cannot_be_sent(client, admin, campaign):
    client.force_login(admin)
    html = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "Send invitations" not in html
    assert "Nobody to send to: the audience has no contacts." in html
    ContactFactory()
    html = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "Send invitations" in html and "Nobody to send to" not in html


def test_the_send_panel_template_runs_no_queries_of_its_own(admin, campaign, django_assert_num_queries):
    """What the panel shows is decided by send_panel, in the view; the template only draws it."""
    from django.template.loader import render_to_string

    ContactFactory()
    start(campaign, admin)
    campaign = Campaign.objects.select_related("audience_list").get(pk=campaign.pk)
    panel = sending_queries.send_panel(campaign)
    with django_assert_num_queries(0):
        html = render_to_string("surveys/_send_panel.html", {"campaign": campaign, "panel": panel})
    assert "<strong>1</strong> contact" in html and "Pause sending" in html
    assert "still sending" in html and "Send invitations" not in html


def test_resuming_a_campaign_that_is_not_paused_says_why(client, admin, campaign):
    client.force_login(admin)
    response = client.post(f"/campaigns/{campaign.pk}/resume/", follow=True)
    assert "Only a paused campaign can be resumed." in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
