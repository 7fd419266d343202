"""The weekly digest: Monday morning, once per recipient per week, even if the task runs twice."""

from datetime import timedelta

from django.utils import timezone
from freezegun import freeze_time

from core.models import UserProfile
from scoring.digest import send_weekly_digests
from tests.factories import CampaignFactory, ResponseFactory


def test_it_sends_once_per_recipient_per_week(db, lead, team_a, viewer, mailoutbox):
    UserProfile.objects.create(user=viewer, weekly_digest=True)
    campaign = CampaignFactory(team=team_a)
    with freeze_time("2026-11-18 12:00"):  # last week's Wednesday
        ResponseFactory(campaign=campaign, score=2, comment="Terrible wait")
        ResponseFactory(campaign=campaign, score=10, comment="Lovely people")
    with freeze_time("2026-11-23 09:00"):  # Monday 10:00 in Amsterdam
        assert send_weekly_digests() == 2
        assert send_weekly_digests() == 0
    assert sorted(m.to[0] for m in mailoutbox) == sorted([lead.email, viewer.email])
    to_lead = next(m for m in mailoutbox if m.to == [lead.email])
    assert "Team A: NPS 0 (n = 2)" in to_lead.body
    assert "New detractors: 1" in to_lead.body
    assert "Lovely people" in to_lead.body and "Terrible wait" in to_lead.body
    assert "Your NPS week" in to_lead.subject


def test_it_does_nothing_outside_monday_morning(db, lead, team_a, mailoutbox):
    with freeze_time("2026-11-24 09:00"):  # Tuesday
        assert send_weekly_digests() == 0
    with freeze_time("2026-11-23 05:00"):  # Monday, before 08:00 in Amsterdam
        assert send_weekly_digests() == 0
    assert mailoutbox == []
