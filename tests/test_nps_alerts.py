"""Alerts on real drops (#25.3): a team's or touchpoint's NPS below its target or significantly lower
than the period before (the product's one significance test, with the minimum n) alerts the team
lead and the admins by e-mail and the team's Slack/Teams channel, at most once per team and period,
and shows on the dashboard. Never on noise."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time

from core.models import EmailDelivery
from scoring import alerts
from scoring.models import NpsAlert
from scoring.tasks import check_nps_alerts
from surveys.models import Response
from surveys.nps import category_for
from tests.factories import CampaignFactory, TouchpointFactory
from webhooks.models import Delivery, Endpoint

MONDAY = "2026-11-23 09:00"  # 10:00 in Amsterdam; the week just ended is 16–22 November
THIS_WEEK, WEEK_BEFORE = "2026-11-18", "2026-11-11"


def answers(campaign, day: str, scores: dict[int, int]) -> None:
    """{score: how many} answers to `campaign` on `day` at noon, in one INSERT."""
    when = datetime.combine(datetime.fromisoformat(day).date(), time(12), tzinfo=ZoneInfo("Europe/Amsterdam"))
    Response.objects.bulk_create(
        [
            Response(
                campaign=campaign,
                score=score,
                category=category_for(score),
                kind=campaign.kind,
                touchpoint=campaign.touchpoint,
                team=campaign.team,
                channel=campaign.channel,
                submitted_at=when,
            )
            for score, count in scores.items()
            for _ in range(count)
        ]
    )


@pytest.fixture
def support(db, team_a):
    return CampaignFactory(team=team_a, kind="transactional", touchpoint=TouchpointFactory(name="Support"))


def test_a_significant_drop_alerts_the_lead_and_the_admins_once(support, lead, admin, team_a, mailoutbox):
    answers(support, WEEK_BEFORE, {10: 40})  # +100, n = 40
    answers(support, THIS_WEEK, {10: 20, 0: 20})  # 0, n = 40: −100 points, far beyond the margins
    channel = Endpoint.objects.create(
        url="https://chat.example/hook", format="slack", team=team_a, events=[alerts.CHAT_EVENT]
    )
    with freeze_time(MONDAY):
        assert alerts.check_alerts() == 2  # team A, and the Support touchpoint
        assert alerts.check_alerts() == 0  # beat runs hourly: at most once per team and period
        check_nps_alerts.apply()
    team_alert = NpsAlert.objects.get(scope="team")
    assert (team_alert.team, str(team_alert.period_start), str(team_alert.period_end)) == (
        team_a,
        "2026-11-16",
        "2026-11-22",
    )
    [found] = team_alert.findings
    assert found["kind"] == "transactional" and found["reasons"] == ["significant_drop"]
    assert (found["nps"], found["previous_nps"], found["delta"]) == (0.0, 100.0, -100.0)
    assert team_alert.notified_at is not None
    to = sorted((m.to[0], m.subject) for m in mailoutbox)
    assert to == sorted(
        [(lead.email, "NPS alert: Team A"), (admin.email, "NPS alert: Team A"), (admin.email, "NPS alert: Support")]
    )
    body = next(m.body for m in mailoutbox if m.to == [lead.email])
    assert "Transactional: NPS 0 (n = 40" in body and "significantly lower than the period before: −100 points" in body
    assert EmailDelivery.objects.filter(kind="nps_alert").count() == 3
    [posted] = Delivery.objects.filter(endpoint=channel)  # the team's channel; the touchpoint's alert is not its
    assert posted.key == f"alert.nps_drop:{team_alert.pk}" and "NPS alert: Team A" in posted.body


def test_a_drop_that_is_not_significant_alerts_nobody(support, lead, admin, mailoutbox):
    answers(support, WEEK_BEFORE, {10: 22, 8: 10, 2: 8})  # +35, n = 40
    answers(support, THIS_WEEK, {10: 20, 8: 10, 2: 10})  # +25, n = 40: −10 points, inside the margins
    with freeze_time(MONDAY):
        assert alerts.check_alerts() == 0
    assert not NpsAlert.objects.exists() and mailoutbox == []


def test_a_large_drop_over_too_few_answers_is_noise(support, lead, mailoutbox, team_a):
    team_a.nps_target = 50
    team_a.save()
    answers(support, WEEK_BEFORE, {10: 10})
    answers(support, THIS_WEEK, {0: 10})  # −200 points, but n = 10 < the minimum of 30
    with freeze_time(MONDAY):
        assert alerts.check_alerts() == 0
    assert mailoutbox == []


def test_falling_below_the_target_alerts_and_staying_below_does_not(support, lead, team_a, mailoutbox):
    team_a.nps_target = 30
    team_a.save()
    answers(support, "2026-11-04", {10: 20, 8: 10, 2: 10})  # +25: already below 30 the week before that
    answers(support, WEEK_BEFORE, {10: 22, 8: 10, 2: 8})  # +35: at or above the target
    answers(support, THIS_WEEK, {10: 20, 8: 10, 2: 10})  # +25: below it (not a significant drop)
    with freeze_time(MONDAY):
        assert alerts.check_alerts() == 1  # the team; the touchpoint has no target (no company target)
    [found] = NpsAlert.objects.get().findings
    assert found["reasons"] == ["below_target"] and found["target"] == 30
    assert "below its target of +30" in mailoutbox[0].body
    answers(support, "2026-11-25", {10: 20, 8: 10, 2: 10})  # the next week: still below, no news
    with freeze_time("2026-11-30 09:00"):
        assert alerts.check_alerts() == 0


def test_alerts_are_listed_on_the_dashboard_for_those_who_may_see_them(client, support, admin, agent, agent_b):
    answers(support, WEEK_BEFORE, {10: 40})
    answers(support, THIS_WEEK, {10: 20, 0: 20})
    with freeze_time(MONDAY):
        alerts.check_alerts()
    query = "/dashboard/?kind=transactional&period=custom&start=2026-11-01&end=2026-11-30"
    client.force_login(admin)
    html = client.get(query).content.decode()
    assert 'data-testid="nps-alerts"' in html and "Team A, " in html and "Support, " in html
    client.force_login(agent)  # team A: its team's alert, not the company-wide touchpoint's
    html = client.get(query).content.decode()
    assert "Team A, " in html and "Support, " not in html
    client.force_login(agent_b)
    assert 'data-testid="nps-alerts"' not in client.get(query).content.decode()


def test_a_failed_e_mail_is_retried_without_a_second_alert(support, lead, admin, settings):
    settings.EMAIL_BACKEND = "tests.test_scheduled_reports.FailForLead"
    from tests.test_scheduled_reports import FailForLead

    FailForLead.fail_to = lead.email
    answers(support, WEEK_BEFORE, {10: 40})
    answers(support, THIS_WEEK, {10: 20, 0: 20})
    with freeze_time(MONDAY):
        with pytest.raises(alerts.AlertsFailed):
            alerts.check_alerts()
        FailForLead.fail_to = None
        assert alerts.check_alerts() == 0  # no new alert, and the one not told is told now
    assert NpsAlert.objects.filter(notified_at__isnull=True).count() == 0
    assert EmailDelivery.objects.filter(kind="nps_alert", status="sent").count() == 3
