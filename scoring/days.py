"""Local days and date ranges, as the rollups (scoring.rollup) and their readers (scoring.freshness,
scoring.panels, scoring.drivers) cut time: a rollup row is one local day (settings.TIME_ZONE), and a
recount or a live count covers a few ranges of such days, never a condition per day."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import TruncDate
from django.utils import timezone

LIVE_INVITATION_DAYS = 3  # today and the two days before: bounces still arrive, read live
MAX_RANGES = 12  # a recount or a live count covers at most this many date ranges


def _tz():
    return ZoneInfo(settings.TIME_ZONE)


def local_day(field_name: str):
    return TruncDate(field_name, tzinfo=_tz())


def day_ranges(days, limit: int = MAX_RANGES) -> list[tuple[date, date]]:
    """`days` as ranges (first, last), consecutive days merged into one. Past `limit` ranges the
    ranges with the smallest gaps between them are joined: a superset of the days, never a
    condition that grows with the data (SQLite refuses an expression tree deeper than 1,000)."""
    ranges: list[list[date]] = []
    for day in sorted(set(days)):
        if ranges and (day - ranges[-1][1]).days <= 1:
            ranges[-1][1] = day
        else:
            ranges.append([day, day])
    if len(ranges) > limit:
        gaps = sorted(range(len(ranges) - 1), key=lambda i: ranges[i + 1][0] - ranges[i][1], reverse=True)
        joined, first = [], 0
        for i in sorted(gaps[: limit - 1]):  # keep the widest gaps, join across the others
            joined.append([ranges[first][0], ranges[i][1]])
            first = i + 1
        joined.append([ranges[first][0], ranges[-1][1]])
        ranges = joined
    return [(first, last) for first, last in ranges]


def within_days(field_name: str, ranges) -> Q:
    """Rows whose datetime `field_name` falls within the local date ranges (index-friendly)."""
    condition = Q(pk__in=[])
    for first, last in ranges:
        condition |= Q(
            **{
                f"{field_name}__gte": datetime.combine(first, time.min, tzinfo=_tz()),
                f"{field_name}__lt": datetime.combine(last + timedelta(days=1), time.min, tzinfo=_tz()),
            }
        )
    return condition


def on_days(ranges, field_name: str = "day") -> Q:
    """Rollup rows whose date `field_name` falls within the ranges."""
    condition = Q(pk__in=[])
    for first, last in ranges:
        condition |= Q(**{f"{field_name}__gte": first, f"{field_name}__lte": last})
    return condition


def live_from(today: date | None = None) -> date:
    """The first day whose invitations are read live rather than from DailyInvitations."""
    return (today or timezone.localdate()) - timedelta(days=LIVE_INVITATION_DAYS - 1)
