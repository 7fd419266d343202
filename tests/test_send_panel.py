"""The send panel on the campaign page: send now or later, pause and resume, the live progress, and
the one rule for when Send is allowed (surveys.sending_queries.send_refusal), which the button
and the send endpoint follow alike.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.html import escape

from surveys import sending, sending_queries
from surveys.models import Campaign, Contact, Invitation, SendWave
from surveys.sending import campaign_send
from tests.factories import CampaignFactory, ContactFactory, InvitationFactory
from tests.sending_helpers import send_all, start


@pytest.fixture
def campaign(db):
    return CampaignFactory(status=Campaign.Status.DRAFT, audience_filter={"plan": "pro"}, quiet_period_days=30)


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
    response = client.post(f"/campaigns/{campaign.pk}/send/", {"when": "", "confirmed": "1"})
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENDING
    assert campaign.waves.count() == 1


def test_admin_schedules_a_send(client, admin, campaign):
    ContactFactory()
    client.force_login(admin)
    when = timezone.localtime(timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/campaigns/{campaign.pk}/send/", {"when": when, "confirmed": "1"}, follow=True)
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
    response = client.post(f"/campaigns/{campaign.pk}/send/", {"when": "", "confirmed": "1"})
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

    response = client.post(f"/campaigns/{campaign.pk}/send/", {"when": "", "confirmed": "1"})

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


# --- #19.9 and 10: ask first, warn on a short quiet period, keep every wave's figures -----------
def test_send_asks_first_with_how_many_are_invited_and_skipped_and_why(client, admin, campaign, provider):
    from surveys.models import Response

    ContactFactory(email="new@example.com")
    ContactFactory(email="gone@example.com", opted_out_at=timezone.now())
    recent = ContactFactory(email="recent@example.com")
    InvitationFactory(contact=recent, sent_at=timezone.now() - timedelta(days=2))
    client.force_login(admin)

    response = client.post(f"/campaigns/{campaign.pk}/send/", {"when": ""})

    assert response.status_code == 200
    assert not SendWave.objects.filter(campaign=campaign).exists()  # nothing sent before the answer
    html = response.content.decode()
    assert "<strong>1</strong> contact will be invited" in html
    assert "<strong>2</strong> contacts will be skipped" in html
    assert "1 opted out" in html and "1 surveyed in the last 30 days" in html
    assert 'name="confirmed" value="1"' in html
    assert 'id="quiet-warning"' not in html  # 30 days is enough
    assert Response.objects.count() == 0

    response = client.post(f"/campaigns/{campaign.pk}/send/", {"when": "", "confirmed": "1"})
    assert response.status_code == 302 and campaign.waves.count() == 1


@pytest.mark.parametrize("days, warned", [(0, True), (1, True), (6, True), (7, False)])
def test_the_confirmation_warns_when_the_quiet_period_is_under_7_days(client, admin, days, warned):
    campaign = CampaignFactory(status=Campaign.Status.DRAFT, quiet_period_days=days)
    ContactFactory()
    client.force_login(admin)
    html = client.post(f"/campaigns/{campaign.pk}/send/", {"when": ""}).content.decode()
    assert ('id="quiet-warning"' in html) is warned


def test_a_quiet_period_of_zero_really_invites_people_surveyed_minutes_ago(admin, db):
    campaign = CampaignFactory(status=Campaign.Status.DRAFT, quiet_period_days=0)
    InvitationFactory(contact=ContactFactory(), sent_at=timezone.now() - timedelta(minutes=5))
    preview = sending_queries.send_preview(campaign)
    assert preview["invite"] == 1 and preview["skip"] == 0 and preview["quiet_warning"]


@pytest.mark.parametrize(
    "days, text",
    [
        (0, "No quiet period: contacts are invited even if they were surveyed minutes ago."),
        (1, "Contacts surveyed by any campaign in the last 24 hours"),
        (30, "Contacts surveyed by any campaign in the last 30 days"),
    ],
)
def test_the_quiet_period_rule_reads_right_for_0_and_1_days(client, admin, days, text):
    campaign = CampaignFactory(status=Campaign.Status.DRAFT, quiet_period_days=days)
    client.force_login(admin)
    html = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert text in html
    assert "last 0 days" not in html and "last 1 days" not in html


def test_the_quiet_period_rule_is_in_dutch_for_a_dutch_reader(db):
    from django.utils import translation

    with translation.override("nl"):
        assert "24 uur" in sending_queries.quiet_rule(1)
        assert "Geen rustperiode" in sending_queries.quiet_rule(0)


def test_every_wave_keeps_its_figures_on_the_campaign_page(client, admin, provider):
    campaign = CampaignFactory(status=Campaign.Status.DRAFT, quiet_period_days=0)
    ContactFactory(email="a@example.com")
    ContactFactory(email="b@example.com", opted_out_at=timezone.now())
    first = start(campaign, admin)
    send_all(first)
    campaign.refresh_from_db()
    ContactFactory(email="c@example.com")
    second = start(campaign, admin)
    send_all(second)
    client.force_login(admin)
    html = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'id="earlier-waves"' in html
    earlier = html[html.index('id="earlier-waves"') :]
    assert "Wave 1" in earlier and "1 sent, 1 skipped, 0 failed of 2" in earlier
    assert "Wave 2" in html[: html.index('id="earlier-waves"')]  # the current one, with its bar


def test_the_confirmation_says_there_is_no_quiet_period_for_0_days(client, admin):
    campaign = CampaignFactory(status=Campaign.Status.DRAFT, quiet_period_days=0)
    ContactFactory()
    client.force_login(admin)
    html = client.post(f"/campaigns/{campaign.pk}/send/", {"when": ""}).content.decode()
    assert "There is no quiet period" in html and "only 0 days" not in html
