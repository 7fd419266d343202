"""The weekly digest: Monday morning in the company's time zone, once per recipient per week even
if the task runs twice; NPS and change per team and survey type, new detractors, overdue follow-ups,
the best and worst comments."""

import pytest
from django.core import mail
from freezegun import freeze_time

from core.models import EmailDelivery, UserProfile
from scoring.digest import send_weekly_digests
from scoring.models import DigestDelivery
from scoring.tasks import send_weekly_digests as task
from tests.factories import CampaignFactory, FollowUpFactory, ResponseFactory, UserFactory

MONDAY_10_AMSTERDAM = "2026-11-23 09:00"  # 09:00 UTC


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


def test_it_sends_once_per_recipient_per_week_even_when_run_twice(lead, viewer, week, mailoutbox):
    UserProfile.objects.create(user=viewer, weekly_digest=True)
    UserFactory(username="quiet-viewer", role="viewer")  # neither lead nor opted in
    with freeze_time(MONDAY_10_AMSTERDAM):
        assert send_weekly_digests() == 2
        assert send_weekly_digests() == 0
        task.apply()  # the Celery task, as beat would run it at :05 the next hour
    assert sorted(m.to[0] for m in mailoutbox) == sorted([lead.email, viewer.email])
    assert DigestDelivery.objects.count() == 2
    assert set(EmailDelivery.objects.filter(kind="digest").values_list("key", flat=True)) == {
        f"digest:{lead.pk}:2026-11-16",
        f"digest:{viewer.pk}:2026-11-16",
    }


def test_the_lead_reads_their_team_week(lead, week, mailoutbox):
    with freeze_time(MONDAY_10_AMSTERDAM):
        send_weekly_digests()
    (message,) = mailoutbox
    assert "Your NPS week" in message.subject
    text = message.body
    assert "Team A (Transactional): NPS −33 (n = 3" in text and "vs the week before" in text
    assert "New detractors: 2" in text and "Overdue follow-ups: 1" in text
    best, worst = text.split("Worst comments")
    assert "Lovely people" in best and "Terrible wait" in worst and "Meh" in worst
    assert "Other team's praise" not in text
    html = message.alternatives[0][0]
    assert "Lovely people" in html and "Meh &lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold</b>" not in html


def test_a_user_without_a_team_gets_the_company(viewer, week, mailoutbox):
    UserProfile.objects.create(user=viewer, weekly_digest=True)
    with freeze_time(MONDAY_10_AMSTERDAM):
        send_weekly_digests()
    text = mailoutbox[0].body
    assert "All teams (Transactional): NPS −33 (n = 3" in text
    assert "All teams (Relational): NPS +100 (n = 1" in text and "Other team's praise" in text


def test_it_does_nothing_outside_monday_morning(lead, week, mailoutbox):
    with freeze_time("2026-11-24 09:00"):  # Tuesday
        assert send_weekly_digests() == 0
    with freeze_time("2026-11-23 06:30"):  # Monday, 07:30 in Amsterdam: before 08:00
        assert send_weekly_digests() == 0
    with freeze_time("2026-11-22 23:30"):  # Monday 00:30 in Amsterdam, still Sunday in UTC
        assert send_weekly_digests() == 0
    assert mailoutbox == []
    with freeze_time("2026-11-23 07:05"):  # Monday 08:05 in Amsterdam
        assert send_weekly_digests() == 1


def test_a_failed_send_is_retried_without_resending_the_others(lead, viewer, week, settings, monkeypatch):
    UserProfile.objects.create(user=viewer, weekly_digest=True)
    settings.EMAIL_BACKEND = "tests.test_digest.FailForLead"
    FailForLead.fail_to = lead.email
    with freeze_time(MONDAY_10_AMSTERDAM):
        from scoring.digest import DigestsFailed

        with pytest.raises(DigestsFailed):
            send_weekly_digests()
        assert list(DigestDelivery.objects.values_list("user_id", flat=True)) == [viewer.pk]
        FailForLead.fail_to = None
        assert send_weekly_digests() == 1
    assert sorted(m.to[0] for m in mail.outbox) == sorted([viewer.email, lead.email])


from django.core.mail.backends.locmem import EmailBackend  # noqa: E402


class FailForLead(EmailBackend):
    """The SMTP server refuses one address (an OSError, as smtplib raises)."""

    fail_to = None

    def send_messages(self, messages):
        if any(self.fail_to in m.to for m in messages):
            raise ConnectionRefusedError("connection refused")
        return super().send_messages(messages)
