"""Deadlines: an SLA in hours per category, optionally counted in business hours only."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from followups.models import SLAPolicy

DEFAULT_HOURS = {"detractor": 48, "passive": 168, "promoter": 168}


def business_calendar() -> tuple[time, time, set[int]]:
    start, end = settings.KRINGLOOP["BUSINESS_HOURS"].split("-")
    days = {int(d) for d in settings.KRINGLOOP["BUSINESS_DAYS"].split(",") if d.strip()}
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip()), days


def add_business_hours(start: datetime, hours: float, *, tz: ZoneInfo | None = None, calendar=None) -> datetime:
    """The moment `hours` working hours after `start`, counting only the calendar's open hours."""
    tz = tz or ZoneInfo(settings.TIME_ZONE)
    open_at, close_at, days = calendar or business_calendar()
    if not days or open_at >= close_at:
        raise ValueError("The business calendar has no open hours.")
    remaining = timedelta(hours=hours)
    current = start.astimezone(tz)
    while True:
        day_open = current.replace(hour=open_at.hour, minute=open_at.minute, second=0, microsecond=0)
        day_close = current.replace(hour=close_at.hour, minute=close_at.minute, second=0, microsecond=0)
        if current.isoweekday() not in days or current >= day_close:
            current = (current + timedelta(days=1)).replace(hour=open_at.hour, minute=open_at.minute, second=0,
                                                            microsecond=0)
            continue
        if current < day_open:
            current = day_open
        available = day_close - current
        if remaining <= available:
            return current + remaining
        remaining -= available
        current = day_close


def due_at(created: datetime, category: str) -> datetime:
    policy = SLAPolicy.objects.filter(category=category).first()
    hours = policy.hours if policy else DEFAULT_HOURS.get(category, 168)
    if policy and policy.business_hours:
        return add_business_hours(created, hours)
    return created + timedelta(hours=hours)
