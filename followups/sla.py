"""Deadlines: an SLA in hours per category, optionally counted in business hours only."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from followups.models import SLAPolicy
from surveys import account_money
from surveys.account_rules import key_account

DEFAULT_HOURS = {"detractor": 48, "passive": 168, "promoter": 168}


def business_calendar() -> tuple[time, time, set[int]]:
    """(opening time, closing time, ISO weekdays) from settings.KRINGLOOP; ValueError when it makes no sense."""
    hours, days = settings.KRINGLOOP["BUSINESS_HOURS"], settings.KRINGLOOP["BUSINESS_DAYS"]
    try:
        start, end = (time.fromisoformat(part.strip()) for part in hours.split("-"))
        weekdays = {int(d) for d in days.split(",") if d.strip()}
    except ValueError:
        raise ValueError(
            f"BUSINESS_HOURS must look like 09:00-17:00 and BUSINESS_DAYS like 1,2,3,4,5 (got {hours!r} and {days!r})."
        ) from None
    if start >= end or not weekdays or not weekdays <= set(range(1, 8)):
        raise ValueError(
            f"The business calendar has no open hours (BUSINESS_HOURS={hours!r}, "
            f"BUSINESS_DAYS={days!r}; weekdays run 1 = Monday to 7 = Sunday)."
        )
    return start, end, weekdays


def add_business_hours(start: datetime, hours: float, *, tz: ZoneInfo | None = None) -> datetime:
    """The moment `hours` working hours after `start`, counting only the calendar's open hours
    (in the company's time zone, so a deadline never lands at night or on a weekend)."""
    tz = tz or ZoneInfo(settings.TIME_ZONE)
    open_at, close_at, days = business_calendar()
    remaining = timedelta(hours=hours)
    current = start.astimezone(tz)
    while True:
        day_open = current.replace(hour=open_at.hour, minute=open_at.minute, second=0, microsecond=0)
        day_close = current.replace(hour=close_at.hour, minute=close_at.minute, second=0, microsecond=0)
        if current.isoweekday() not in days or current >= day_close:
            current = (current + timedelta(days=1)).replace(
                hour=open_at.hour, minute=open_at.minute, second=0, microsecond=0
            )
            continue
        if current < day_open:
            current = day_open
        available = day_close - current
        if remaining <= available:
            return current + remaining
        remaining -= available
        current = day_close


def policies() -> dict[str, SLAPolicy]:
    """Every category's SLA policy, for working out many deadlines with one query."""
    return {policy.category: policy for policy in SLAPolicy.objects.all()}


def is_key_account(contact) -> bool:
    """Whether the contact belongs to a key account (ARR from KEY_ACCOUNT_ARR, in the reporting
    currency): its cases get the policy's shorter deadline when one is set."""
    account = contact.account if contact is not None and contact.account_id else None
    return key_account(account, threshold=settings.KRINGLOOP["KEY_ACCOUNT_ARR"], rates=account_money.rates())


def due_at(
    created: datetime, category: str, *, known: dict[str, SLAPolicy] | None = None, key_account: bool = False
) -> datetime:
    """When a case of `category` opened at `created` must have been handled, per its SLA policy
    (looked up in `known`, from policies(), when given); a key account's case (`key_account`) by the
    policy's key-account hours when it has them."""
    policy = known.get(category) if known is not None else SLAPolicy.objects.filter(category=category).first()
    hours = policy.hours if policy else DEFAULT_HOURS.get(category, 168)
    if key_account and policy and policy.key_account_hours:
        hours = policy.key_account_hours
    if policy and policy.business_hours:
        return add_business_hours(created, hours)
    return created + timedelta(hours=hours)
