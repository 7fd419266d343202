"""Deadlines: hours per category, optionally counted in the business calendar's open hours only."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from followups.apps import check_business_calendar
from followups.models import SLAPolicy
from followups.sla import add_business_hours, business_calendar, due_at

AMS = ZoneInfo("Europe/Amsterdam")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=AMS)


@pytest.mark.parametrize(
    "start,hours,expected",
    [
        (at(2026, 11, 3, 10, 0), 2, at(2026, 11, 3, 12, 0)),  # within one Tuesday
        (at(2026, 11, 3, 7, 30), 2, at(2026, 11, 3, 11, 0)),  # before opening: the clock starts at 09:00
        (at(2026, 11, 3, 18, 0), 4, at(2026, 11, 4, 13, 0)),  # an evening answer counts from the next morning
        (at(2026, 11, 3, 16, 0), 1, at(2026, 11, 3, 17, 0)),  # exactly at closing time
        (at(2026, 11, 6, 16, 0), 2, at(2026, 11, 9, 10, 0)),  # Friday afternoon → Monday morning
        (at(2026, 11, 7, 12, 0), 8, at(2026, 11, 9, 17, 0)),  # Saturday: a whole Monday
        (at(2026, 11, 5, 15, 0), 16, at(2026, 11, 9, 15, 0)),  # Thursday 2 h + Friday 8 h + Monday 6 h
        (at(2026, 11, 2, 9, 0), 48, at(2026, 11, 9, 17, 0)),  # 48 business hours = six working days
    ],
)
def test_it_counts_only_business_hours(start, hours, expected):
    assert add_business_hours(start, hours, tz=AMS) == expected


def test_it_uses_the_company_time_zone_whatever_the_input_zone():
    utc_evening = datetime(2026, 11, 3, 17, 30, tzinfo=ZoneInfo("UTC"))  # 18:30 in Amsterdam: closed
    assert add_business_hours(utc_evening, 1, tz=AMS) == at(2026, 11, 4, 10, 0)


def test_it_keeps_office_hours_across_the_change_to_winter_time():
    due = add_business_hours(at(2026, 10, 23, 16, 0), 10, tz=AMS)  # clocks go back on Sunday 25 October
    assert due == at(2026, 10, 27, 10, 0)
    assert due.utcoffset() == timedelta(hours=1)


def test_a_configured_calendar_is_followed(settings):
    settings.KRINGLOOP = {**settings.KRINGLOOP, "BUSINESS_HOURS": "08:30-12:00", "BUSINESS_DAYS": "1,3"}
    # Monday 11:00 + 2 h: one hour on Monday, then Wednesday from 08:30.
    assert add_business_hours(at(2026, 11, 2, 11, 0), 2, tz=AMS) == at(2026, 11, 4, 9, 30)


@pytest.mark.parametrize(
    "hours,days", [("17:00-09:00", "1,2,3"), ("09:00-17:00", ""), ("09:00-17:00", "8"), ("nine to five", "1")]
)
def test_a_calendar_without_open_hours_is_refused_loudly(settings, hours, days):
    settings.KRINGLOOP = {**settings.KRINGLOOP, "BUSINESS_HOURS": hours, "BUSINESS_DAYS": days}
    with pytest.raises(ValueError):
        business_calendar()
    assert [e.id for e in check_business_calendar()] == ["followups.E001"]


def test_the_default_deadlines_are_two_days_for_detractors_and_seven_for_passives(db):
    created = at(2026, 11, 6, 16, 0)
    assert due_at(created, "detractor") == created + timedelta(days=2)
    assert due_at(created, "passive") == created + timedelta(days=7)


def test_a_policy_in_business_hours(db):
    SLAPolicy.objects.filter(category="detractor").update(hours=4, business_hours=True)
    assert due_at(at(2026, 11, 6, 15, 0), "detractor") == at(2026, 11, 9, 11, 0)


def test_admins_change_the_deadlines(client, admin):
    client.force_login(admin)
    data = {"detractor-hours": 8, "detractor-business_hours": "on", "passive-hours": 72, "promoter-hours": 168}
    assert client.post("/routing/sla/", data).status_code == 302
    detractor = SLAPolicy.objects.get(category="detractor")
    assert (detractor.hours, detractor.business_hours) == (8, True)
    assert client.post("/routing/sla/", {**data, "passive-hours": 0}).status_code == 400
