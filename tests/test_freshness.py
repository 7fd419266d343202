"""Derived data never takes a page down: the rollups over years of days, after changes of every
kind, on SQLite and PostgreSQL; a failed refresh falls back to a live count and heals."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from scoring import queries
from scoring.rollup import MAX_RANGES, day_ranges, refresh_rollup
from surveys.models import Contact
from tests.factories import CampaignFactory, ContactFactory, ResponseFactory


def test_consecutive_days_become_one_range_and_the_ranges_stay_few():
    d = date(2026, 1, 1)
    assert day_ranges([d, d + timedelta(days=1), d + timedelta(days=2), d + timedelta(days=5)]) == [
        (d, d + timedelta(days=2)),
        (d + timedelta(days=5), d + timedelta(days=5)),
    ]
    every_other = [d + timedelta(days=2 * i) for i in range(1000)]
    ranges = day_ranges(every_other)
    assert len(ranges) == MAX_RANGES
    assert ranges[0][0] == every_other[0] and ranges[-1][1] == every_other[-1]  # a superset, never fewer days
    assert all(any(a <= day <= b for a, b in ranges) for day in every_other)


def test_changing_every_contact_over_hundreds_of_days_keeps_the_dashboard_up(client, admin):
    """The bug of issue #17: a change to every contact made the refresh OR one range per day (380
    here) and SQLite refused the query ("Expression tree is too large")."""
    campaign = CampaignFactory(kind="relational")
    contacts = [ContactFactory(attributes={"plan": "pro"}) for _ in range(20)]
    now = timezone.now()
    for day in range(380):
        ResponseFactory(
            campaign=campaign, contact=contacts[day % 20], score=day % 11, submitted_at=now - timedelta(days=day)
        )
    refresh_rollup()
    for contact in Contact.objects.all():
        contact.attributes = {"plan": "free"}
        contact.save()
    client.force_login(admin)
    with freeze_time(timezone.now() + timedelta(minutes=1)):  # past the contact check interval
        assert refresh_rollup() == 380
        page = client.get("/dashboard/?period=365d")
        assert page.status_code == 200
        assert page.context["summary"].current.n == 365
        plans = queries.nps_by_segment(queries.parse_filters({"period": "365d"}), "plan")
        assert [(row["label"], row["result"].n) for row in plans] == [("free", 365)]
