"""Keeping the scoring rollups (scoring.models Daily*, LatestScore) current: the refresh.

The worker refreshes them (beat, every 30 seconds: scoring.tasks.refresh_rollup); readers never do:
they read what the rollups cover and count the rest live (scoring.freshness). A refresh finds what
changed since the last one (scoring.changes) and recounts only that, set-based (scoring.recount):
the local days of changed responses, contacts and invitations, as a few date ranges
(scoring.days.day_ranges), and the contacts whose latest answer may have moved. All in one
transaction, with the new marks, so a failed refresh leaves the rollups and marks as they were.
"""

import logging
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from scoring import account_rollup, recount
from scoring.changes import ALL, Work, newest_mark, pending
from scoring.days import day_ranges, live_from
from scoring.models import RollupState
from surveys.models import Contact, Invitation, Response

logger = logging.getLogger(__name__)


def _recount(work: Work, state: RollupState, now: datetime) -> None:
    """Recount the days (as at most MAX_RANGES ranges) and contacts that changed, and the accounts
    of those contacts (all of them when the accounts' period has moved on a day)."""
    if work.days != set():
        days = ALL if work.days is ALL else day_ranges(work.days)
        recount.count_scores(days)
        recount.count_segments(days)
        recount.count_drivers(days)
    since = account_rollup.window_start(timezone.localdate(now))
    accounts = ALL if work.contacts is ALL or state.accounts_since != since else set()
    if work.contacts != set():
        if accounts is not ALL:
            accounts = account_rollup.accounts_of(work.contacts)  # where they were counted until now
        recount.count_latest(work.contacts)
        if accounts is not ALL:
            accounts |= account_rollup.accounts_of(work.contacts)  # where they count now
    if accounts != set():
        account_rollup.count_accounts(accounts, since=since)
        state.accounts_since = since
    if work.invitation_days != set():
        recount.count_invitations(ALL if work.invitation_days is ALL else day_ranges(work.invitation_days))


FIELDS = {
    "watermark": ("watermark", "watermark_seen"),
    "contacts_mark": ("contacts_mark", "contacts_seen"),
    "invitations_mark": ("invitations_mark", "invitations_seen"),
    "contacts_checked_at": ("contacts_checked_at",),
    "invitations_frozen_through": ("invitations_frozen_through",),
}


def _save_marks(state: RollupState, marks: dict) -> None:
    names = []
    for key, values in marks.items():
        for name, value in zip(FIELDS[key], values):
            setattr(state, name, value)
            names.append(name)
    state.save(update_fields=names)


def _all_marks(now: datetime) -> dict:
    return {
        "watermark": newest_mark(Response.objects.all(), "updated_at"),
        "contacts_mark": newest_mark(Contact.objects.all(), "updated_at"),
        "invitations_mark": newest_mark(Invitation.objects.all(), "sent_at"),
        "contacts_checked_at": (now,),
        "invitations_frozen_through": (live_from(timezone.localdate(now)) - timedelta(days=1),),
    }


def _tune_for_bulk() -> None:
    """For a full count only: PostgreSQL guesses a million groups where there are thousands and
    sorts on disk; with memory for a hash table it aggregates three to four times faster."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute("SET LOCAL enable_sort = off")


def _analyze() -> None:
    """After a full count the planner must know the tables' new sizes (autovacuum comes later)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in recount.ROLLUPS:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def refresh_rollup(*, full: bool = False, wait: bool = True) -> int:
    """Bring the rollups up to date. Returns how many days were recounted (-1: everything).

    One refresher at a time. With wait=False (the beat's task) a refresh that finds another one
    at work returns 0 at once instead of waiting for it, so slow recounts never pile up workers.

    A failure rolls the recount back (the marks stay where they were, so the next refresh takes
    the same work up again), is logged and noted on the state row for /healthz and the admins,
    and is raised again for the task's retry."""
    try:
        return _refresh(full=full, wait=wait)
    except Exception as exc:
        logger.exception("rollup refresh failed; readers count live until a refresh succeeds")
        state, _ = RollupState.objects.get_or_create(pk=1)
        state.failed_at, state.error = timezone.now(), f"{exc.__class__.__name__}: {exc}"[:300]
        state.save(update_fields=["failed_at", "error"])
        raise


def _refresh(*, full: bool, wait: bool) -> int:
    now = timezone.now()
    with transaction.atomic():
        # One refresher at a time; the others wait here and then find nothing left to do (or, not
        # waiting, leave at once). SQLite has no row locks: there its writers take turns anyway.
        RollupState.objects.get_or_create(pk=1)
        state = RollupState.objects.select_for_update(skip_locked=not wait).filter(pk=1).first()
        if state is None:
            return 0
        if full or state.built_at is None:
            # Marks first: whatever commits while we count lies past them and is counted next time.
            work = Work(days=ALL, contacts=ALL, invitation_days=ALL, marks=_all_marks(now))
            _tune_for_bulk()
            state.built_at = now
        else:
            work = pending(state, now)
        _recount(work, state, now)
        _save_marks(state, work.marks)
        state.refreshed_at, state.error = now, ""
        state.save(update_fields=["built_at", "refreshed_at", "error", "accounts_since"])
        if work.days is ALL:
            _analyze()
            return -1
        return len(work.days)
