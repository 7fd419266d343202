"""Scheduled reports (#25.2): a report under the dashboard's filters e-mailed weekly or monthly at a
day and hour in the company's time zone, key figures inline and the board report attached, exactly
once per period and recipient (the send-once ledger), one-click unsubscribe; team leads get the
weekly report on their team by default (it replaced the fixed Monday digest)."""

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from freezegun import freeze_time

from core.models import EmailDelivery
from scoring import subscriptions
from scoring.models import ReportSubscription
from scoring.tasks import send_scheduled_reports as task
from tests.factories import CampaignFactory, FollowUpFactory, ResponseFactory, TeamFactory, UserFactory
from tests.helpers import prefers

MONDAY_10_AMSTERDAM = "2026-11-23 09:00"  # 09:00 UTC; the week reported is 16–22 November
BEFORE = "2026-11-17 12:00"  # when the subscriptions were made (after the 16 November reports were due)


@pytest.fixture
def week(db, team_a):
    campaign = CampaignFactory(team=team_a, kind="transactional", name="Support desk")
    with freeze_time("2026-11-18 12:00"):  # last week's Wednesday
        ResponseFactory(campaign=campaign, score=2, comment="Terrible wait")
        ResponseFactory(campaign=campaign, score=10, comment="Lovely people")
        ResponseFactory(campaign=campaign, score=6, comment="Meh <b>bold</b>")
        ResponseFactory(campaign=CampaignFactory(kind="relational"), score=9, comment="Other team's praise")
    with freeze_time("2026-11-11 12:00"):  # the week before
        ResponseFactory(campaign=campaign, score=10)
    FollowUpFactory(
        response__campaign=campaign,
        response__submitted_at="2026-10-01T12:00:00Z",
        team=team_a,
        due_at="2026-11-20T12:00:00Z",
    )
    return campaign


def defaults_made_before():
    with freeze_time(BEFORE):
        return subscriptions.ensure_default_subscriptions()


def attachments(message):
    return [(name, mimetype) for name, content, mimetype in message.attachments if content.startswith(b"%PDF")]


def test_a_team_lead_gets_the_weekly_report_on_their_team_once_per_week(lead, week, mailoutbox):
    assert defaults_made_before() == 1
    (default,) = ReportSubscription.objects.all()
    assert (default.user, default.default_for_team.name, default.frequency) == (lead, "Team A", "weekly")
    with freeze_time(MONDAY_10_AMSTERDAM):
        assert subscriptions.send_due_reports() == 1
        assert subscriptions.send_due_reports() == 0
        task.apply()  # the Celery task, as beat runs it at :05 every hour
    (message,) = mailoutbox
    assert message.to == [lead.email]
    assert message.subject == "Your weekly NPS report: 16 November–22 November"
    text = message.body
    assert "Team: Team A" in text
    assert "Transactional: NPS −33 (n = 3" in text and "vs the week before" in text
    assert "New detractors: 2" in text and "Overdue follow-ups: 1" in text
    assert "Lovely people" in text and "Other team's praise" not in text
    html = message.alternatives[0][0]
    assert "Meh &lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold</b>" not in html
    assert attachments(message) == [("nps-report-2026-11-16-2026-11-22.pdf", "application/pdf")]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert set(EmailDelivery.objects.filter(kind="scheduled_report").values_list("key", flat=True)) == {
        f"report:{default.pk}:{lead.pk}:2026-11-16"
    }


def test_it_waits_for_its_day_and_hour_and_catches_up_later_in_the_week(lead, week, mailoutbox):
    defaults_made_before()
    with freeze_time("2026-11-23 06:30"):  # Monday, 07:30 in Amsterdam: before 08:00
        assert subscriptions.send_due_reports() == 0
    with freeze_time("2026-11-22 23:30"):  # Monday 00:30 in Amsterdam, still Sunday in UTC
        assert subscriptions.send_due_reports() == 0
    assert mailoutbox == []
    with freeze_time("2026-11-25 12:00"):  # Wednesday: the worker was down on Monday
        assert subscriptions.send_due_reports() == 1
    with freeze_time("2026-11-30 09:00"):  # the next Monday: the next week
        assert subscriptions.send_due_reports() == 1
    assert [m.subject for m in mailoutbox] == [
        "Your weekly NPS report: 16 November–22 November",
        "Your weekly NPS report: 23 November–29 November",
    ]


def test_a_new_subscription_does_not_send_a_period_whose_moment_has_passed(lead, week, mailoutbox):
    with freeze_time("2026-11-24 09:00"):  # made on Tuesday: this week's Monday is gone
        subscriptions.ensure_default_subscriptions()
        assert subscriptions.send_due_reports() == 0
    with freeze_time("2026-11-30 09:00"):
        assert subscriptions.send_due_reports() == 1


def test_anyone_subscribes_themselves_from_the_dashboard_with_its_filters(client, viewer, week, mailoutbox):
    client.force_login(viewer)
    dashboard = client.get("/dashboard/?kind=transactional&period=30d").content.decode()
    assert 'href="/reports/new/?period=30d&amp;kind=transactional"' in dashboard
    page = client.get("/reports/new/?period=30d&kind=transactional")
    assert "Survey type: Transactional" in page.content.decode()
    assert "team" not in page.context["form"].fields  # only admins choose recipients
    with freeze_time(BEFORE):
        response = client.post(
            "/reports/new/?period=30d&kind=transactional",
            {"frequency": "monthly", "weekday": "0", "day_of_month": "2", "hour": "7"},
        )
    assert response.status_code == 302 and response["Location"] == "/reports/"
    (subscription,) = ReportSubscription.objects.all()
    assert (subscription.user, subscription.query) == (viewer, "kind=transactional")  # no period: the month's
    assert "monthly, day 2 at 7:00" in client.get("/reports/").content.decode()
    with freeze_time("2026-12-02 05:00"):  # 06:00 in Amsterdam: before 07:00
        assert subscriptions.send_due_reports() == 0
    with freeze_time("2026-12-02 06:30"):
        assert subscriptions.send_due_reports() == 1
        assert subscriptions.send_due_reports() == 0
    (message,) = mailoutbox
    assert message.subject == "Your monthly NPS report: November 2026"
    assert "Transactional: NPS 0 (n = 4" in message.body and "Relational" not in message.body  # all November
    assert "Lovely people" not in message.body  # a viewer reads figures, not comments
    assert attachments(message)


def test_admins_subscribe_a_team_and_each_member_gets_it_once(client, admin, lead, agent, week, mailoutbox):
    client.force_login(admin)
    team_a = lead.led_teams.get()
    with freeze_time(BEFORE):
        response = client.post(
            "/reports/new/?kind=all",
            {"frequency": "weekly", "weekday": "2", "day_of_month": "1", "hour": "9", "team": team_a.pk},
        )
    assert response.status_code == 302
    subscription = ReportSubscription.objects.get(team=team_a)
    with freeze_time("2026-11-25 09:00"):  # Wednesday 10:00 in Amsterdam (the leads' default waits for none)
        assert subscriptions.send_due_reports() == 2
        assert subscriptions.send_due_reports() == 0
    assert sorted(m.to[0] for m in mailoutbox) == sorted([lead.email, agent.email])
    assert EmailDelivery.objects.filter(key__startswith=f"report:{subscription.pk}:").count() == 2


def test_only_admins_subscribe_others(client, agent, lead):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        subscriptions.subscription_save(actor=agent, query="", frequency="weekly", user=lead)
    with pytest.raises(PermissionDenied):
        subscriptions.subscription_save(actor=agent, query="", frequency="weekly", team=TeamFactory(name="Other"))
    client.force_login(agent)
    client.post("/reports/new/?kind=all", {"frequency": "weekly", "day_of_month": "1", "hour": "8", "user": lead.pk})
    assert ReportSubscription.objects.get().user == agent  # the field is not offered: for themselves


def test_one_click_unsubscribe_stops_it_and_a_get_changes_nothing(client, lead, agent, week, mailoutbox):
    defaults_made_before()
    team_a = lead.led_teams.get()
    with freeze_time(BEFORE):
        team_report = ReportSubscription.objects.create(team=team_a, query="kind=all", weekday=0, hour=8)
    with freeze_time(MONDAY_10_AMSTERDAM):
        assert subscriptions.send_due_reports() == 3  # the lead's default, and the team's to both
    lead_default = next(m for m in mailoutbox if m.to == [lead.email] and "Team: Team A" in m.body)
    url = lead_default.extra_headers["List-Unsubscribe"].strip("<>").replace("http://testserver", "")
    agent_copy = next(m for m in mailoutbox if m.to == [agent.email])
    agent_url = agent_copy.extra_headers["List-Unsubscribe"].strip("<>").split("/reports/", 1)[1]

    assert "Unsubscribe from this report?" in client.get(url).content.decode()  # asks; a mail scanner stops nothing
    assert ReportSubscription.objects.get(default_for_team=team_a).active
    response = client.post(url, {"List-Unsubscribe": "One-Click"})  # RFC 8058: no CSRF token
    assert response.status_code == 200 and not ReportSubscription.objects.get(default_for_team=team_a).active
    assert client.post(f"/reports/{agent_url}", {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert list(team_report.excluded.all()) == [agent]  # the team's report stops for the agent only

    mailoutbox.clear()
    with freeze_time("2026-11-30 09:00"):
        assert subscriptions.send_due_reports() == 1
    assert [m.to for m in mailoutbox] == [[lead.email]]  # the team's report, not the default
    subscriptions.ensure_default_subscriptions()
    assert not ReportSubscription.objects.get(default_for_team=team_a).active  # not made again
    assert client.get("/reports/unsubscribe/forged-token/").status_code == 404


def test_a_failed_send_is_retried_without_resending_the_others(lead, viewer, week, settings):
    defaults_made_before()
    with freeze_time(BEFORE):
        subscriptions.subscription_save(actor=viewer, query="kind=all", frequency="weekly")
    settings.EMAIL_BACKEND = "tests.test_scheduled_reports.FailForLead"
    FailForLead.fail_to = lead.email
    with freeze_time(MONDAY_10_AMSTERDAM):
        with pytest.raises(subscriptions.ReportsFailed):
            subscriptions.send_due_reports()
        assert [m.to for m in mail.outbox] == [[viewer.email]]
        FailForLead.fail_to = None
        assert subscriptions.send_due_reports() == 1
    assert sorted(m.to[0] for m in mail.outbox) == sorted([viewer.email, lead.email])


def test_a_lead_who_stops_leading_loses_the_default_and_the_new_lead_gets_it(lead, agent, week):
    defaults_made_before()
    team_a = lead.led_teams.get()
    team_a.lead = agent
    team_a.save()
    subscriptions.ensure_default_subscriptions()
    assert list(ReportSubscription.objects.values_list("user__username", flat=True)) == [agent.username]


def test_a_dutch_lead_gets_the_weekly_report_in_dutch(db, team_a, week, mailoutbox):
    lead = prefers(UserFactory(username="lotte-leider", role="agent"), "nl")
    team_a.lead = lead
    team_a.save()
    defaults_made_before()
    with freeze_time(MONDAY_10_AMSTERDAM):
        assert subscriptions.send_due_reports() == 1
    (message,) = mailoutbox
    assert message.subject == "Uw wekelijkse NPS-rapport: 16 november–22 november"
    assert "Transactioneel: NPS −33" in message.body and "Nieuwe criticasters: 2" in message.body


class FailForLead(EmailBackend):
    """The SMTP server refuses one address (an OSError, as smtplib raises)."""

    fail_to = None

    def send_messages(self, messages):
        if any(self.fail_to in m.to for m in messages):
            raise ConnectionRefusedError("connection refused")
        return super().send_messages(messages)
