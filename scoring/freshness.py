"""What the rollups cover right now, as a reader sees it, without writing anything.

The worker refreshes the rollups (scoring.rollup, every 30 seconds). A reader asks, with the same
questions the refresh asks (scoring.changes, a few indexed queries), which days and customers
changed since the last refresh; it reads the rollups for everything else and counts those days
live from the answers (scoring.panels, scoring.drivers, scoring.customers). So a page is right at
once after any change, fast while the rollups keep up, and still right, only slower, when a
refresh fails or the worker is down; the next refresh that succeeds heals it, with nothing to run
by hand.
"""

import contextlib
import contextvars
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from scoring.changes import ALL, pending
from scoring.days import day_ranges, live_from, within_days
from scoring.models import RollupState

logger = logging.getLogger(__name__)
LAGGING = timedelta(minutes=2)  # a refresh is due every 30 s: past this the worker is down or failing
EVERY_DAY = None  # stale days: all of them (the rollups are not built, or too much changed)
EVERYONE = None  # stale contacts: all of them


@dataclass(frozen=True)
class Coverage:
    """The parts of the rollups that may be stale: a reader counts them live."""

    days: list | None  # ranges (first, last) of local days of answers; EVERY_DAY: all
    invitation_days: list | None  # ranges of days of sent invitations; EVERY_DAY: all
    contacts: list | None  # subqueries of the contacts whose LatestScore rows may be stale; EVERYONE: all
    # Invitations sent on or after this day are counted live (None: all). Their bounces leave no mark,
    # so every refresh recounts the last LIVE_INVITATION_DAYS days: while the refreshes keep up a
    # reader takes those days from the rollup (a bounce shows within one refresh, 30 s), else it
    # counts them live.
    live_from: date | None
    refreshed_at: datetime | None = None
    failed_at: datetime | None = None
    error: str = ""
    now: datetime | None = None
    accounts_since: date | None = None  # the first day the accounts' rollup counts (None: not built)

    @property
    def current(self) -> bool:
        return self.days == [] and self.invitation_days == [] and self.contacts == []

    @property
    def lag(self) -> timedelta | None:
        """How long since the rollups were last brought up to date (None: never)."""
        if self.refreshed_at is None:
            return None
        return max((self.now or timezone.now()) - self.refreshed_at, timedelta(0))

    @property
    def lagging(self) -> bool:
        """The worker is not keeping the rollups current: never built, failing, or long behind."""
        if self.current:
            return False
        return self.lag is None or self.lag > LAGGING or bool(self.error)


def _tz():
    return ZoneInfo(settings.TIME_ZONE)


def measure(now: datetime | None = None) -> Coverage:
    """The coverage now (reads only). Logs a warning when readers count live because the
    refreshes are failing or behind, which /healthz and the dashboard also show to admins."""
    now = now or timezone.now()
    state = RollupState.objects.filter(pk=1).first()
    if state is None or state.built_at is None:
        coverage = Coverage(EVERY_DAY, EVERY_DAY, EVERYONE, None, error=state.error if state else "", now=now)
    else:
        work = pending(state, now, reader=True)
        today = timezone.localdate(now)
        keeping_up = state.refreshed_at is not None and now - state.refreshed_at <= LAGGING and not state.error
        coverage = Coverage(
            days=EVERY_DAY if work.days is ALL else day_ranges(work.days),
            invitation_days=(EVERY_DAY if work.invitation_days is ALL else day_ranges(work.invitation_days)),
            contacts=work.contact_queries,
            live_from=today + timedelta(days=1) if keeping_up else live_from(today),
            refreshed_at=state.refreshed_at,
            failed_at=state.failed_at,
            error=state.error,
            now=now,
            accounts_since=state.accounts_since,
        )
    if coverage.lagging:
        logger.warning(
            "rollups lag behind (last refresh %s, error %r): counting the stale part live",
            coverage.refreshed_at,
            coverage.error,
        )
    return coverage


_page = contextvars.ContextVar("scoring_coverage", default=None)


@contextlib.contextmanager
def one_look():
    """Measure the coverage once for a block of queries (a page, a digest run): inside it, every
    query reads the same coverage instead of measuring again."""
    if _page.get() is not None:
        yield _page.get()
        return
    coverage = measure()
    token = _page.set(coverage)
    try:
        yield coverage
    finally:
        _page.reset(token)


@contextlib.contextmanager
def counted_live():
    """Inside this block every reader counts everything from the answers, as if there were no
    rollups: the figures the rollups must agree with (core.consistency, `manage.py check_data`)."""
    token = _page.set(Coverage(EVERY_DAY, EVERY_DAY, EVERYONE, None, now=timezone.now()))
    try:
        yield
    finally:
        _page.reset(token)


def current() -> Coverage:
    """The coverage of the enclosing one_look() block, or measured now."""
    return _page.get() or measure()


# --- Conditions on the stale part ------------------------------------------------------------------
def stale_contacts_q(contacts, field_name: str = "contact_id") -> Q:
    """Rows of the customers whose latest answers may be stale (EVERYONE: every row): at most two
    subqueries, however many customers changed."""
    if contacts is EVERYONE:
        return Q()
    condition = Q(pk__in=[])
    for subquery in contacts:
        condition |= Q(**{f"{field_name}__in": subquery})
    return condition


def stale_days_q(ranges, field_name: str = "submitted_at") -> Q:
    """Rows whose datetime falls on the stale days (EVERY_DAY: every row)."""
    return Q() if ranges is EVERY_DAY else within_days(field_name, ranges)


def as_datetime(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=_tz())


def health() -> dict:
    """For /healthz (registered with core.health in ScoringConfig.ready): never fails the check,
    only says how far behind the rollups are."""
    state = RollupState.objects.filter(pk=1).first()
    now = timezone.now()
    refreshed = state.refreshed_at if state else None
    lag = (now - refreshed).total_seconds() if refreshed else None
    if state is not None and state.error:
        status = "failing"
    elif refreshed is None:
        status = "not built"
    elif lag > LAGGING.total_seconds():
        status = "lagging"
    else:
        status = "ok"
    return {"status": status, "lag_seconds": None if lag is None else round(lag)}
