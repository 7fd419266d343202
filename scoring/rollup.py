"""Keeping the scoring rollups (scoring.models Daily*, LatestScore) current.

The worker refreshes them (beat, every 30 seconds: scoring.tasks.refresh_rollup); readers never do:
they read what the rollups cover and count the rest live (scoring.freshness). A refresh finds what
changed since the last one and recounts only that: the local days of responses changed since the
watermark (Response.updated_at, minus a margin for transactions that committed late), the days of
contacts whose attributes changed (segments), the days on which invitations were sent or answered,
and the contacts whose latest answer may have moved; the days as a few date ranges (day_ranges).
Counting is set-based (INSERT … SELECT … GROUP BY), never a Python loop over responses.

Limits, on purpose: a bounce reported more than LIVE_INVITATION_DAYS after sending is counted when
that day is next recounted; responses deleted outright are noticed only within the margin.
"""

import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Max, Q, Value, Window
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Lag, RowNumber, TruncDate
from django.utils import timezone

from scoring.models import DailyDriverAnswer, DailyInvitations, DailyScore, DailySegmentScore, LatestScore, RollupState
from surveys.models import Answer, Contact, Invitation, Question, Response

logger = logging.getLogger(__name__)
LATE_COMMIT_MARGIN = timedelta(minutes=5)
LIVE_INVITATION_DAYS = 3  # today and the two days before: bounces still arrive, read live
# An invitation is answered once its response exists; the worker sets the status a moment later.
ANSWERED = Q(status=Invitation.Status.ANSWERED) | Q(response__isnull=False)
SEGMENT_KEYS = ("plan", "region", "size")  # segment keys with a rollup; other keys are cut live
DIMENSIONS = ("kind", "campaign_id", "touchpoint_id", "team_id", "channel", "language")


def _tz():
    return ZoneInfo(settings.TIME_ZONE)


def local_day(field_name: str):
    return TruncDate(field_name, tzinfo=_tz())


MAX_RANGES = 12  # a recount or a live count covers at most this many date ranges


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


# --- Set-based counting ------------------------------------------------------------------------
def _insert_from(model, qs) -> None:
    """INSERT INTO model's table the rows of a values()/annotate() queryset, inside the database.

    Columns are taken from the query by name (fields keep their column name, annotations their
    alias), so the SELECT's column order does not matter.
    """
    query = qs.query
    names = [*query.values_select, *query.annotation_select]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in names)
    picked = ", ".join(f"src.{quote(name)}" for name in names)
    sql, params = query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({columns}) SELECT {picked} FROM ({sql}) src", params
        )


def _responses(days):
    qs = Response.objects.all()
    return qs if days is None else qs.filter(within_days("submitted_at", days))


def _count_scores(days) -> None:
    _delete(DailyScore, days)
    _insert_from(
        DailyScore,
        _responses(days).values(*DIMENSIONS, "score").annotate(day=local_day("submitted_at"), n=Count("id")).order_by(),
    )


def _insert_by_segment(
    model,
    qs,
    path: str,
    *,
    sums: tuple = ("n",),
    views=("", *SEGMENT_KEYS),
    key_field: str = "segment_key",
    value_field: str = "segment_value",
) -> None:
    """Insert `qs`'s groups once per segment view in one statement: "" (everything) and each key.

    The groups are counted once, by every rolled-up attribute at the same time, and then summed
    per view (WITH g AS (…) INSERT … SELECT … GROUP BY … UNION ALL …), so adding the segment
    views costs one pass over the answers instead of one per key.
    """
    seg = {f"seg_{key}": KeyTextTransform(key, path) for key in SEGMENT_KEYS}
    inner = qs.annotate(**seg, **{name: qs.query.annotations[name] for name in sums})
    columns = [
        name for name in (*qs.query.values_select, *qs.query.annotation_select) if name not in sums and name not in seg
    ]
    quote = connection.ops.quote_name
    group = ", ".join(f"g.{quote(c)}" for c in columns)
    totals = ", ".join(f"SUM(g.{quote(name)})" for name in sums)
    selects, params = [], []
    inner_sql, inner_params = inner.query.sql_with_params()
    for key in views:
        value = f"g.{quote('seg_' + key)}" if key else "NULL"
        selects.append(f"SELECT {group}, %s, {value}, {totals} FROM g GROUP BY {group}{', ' + value if key else ''}")
        params.append(key)
    names = [*columns, key_field, value_field, *sums]
    target = ", ".join(quote(model._meta.get_field(name).column) for name in names)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH g AS ({inner_sql}) INSERT INTO {quote(model._meta.db_table)} ({target}) "
            + " UNION ALL ".join(selects),
            [*inner_params, *params],
        )


def _count_segments(days) -> None:
    _delete(DailySegmentScore, days)
    _insert_by_segment(
        DailySegmentScore,
        _responses(days).values(*DIMENSIONS, "score").annotate(day=local_day("submitted_at"), n=Count("id")).order_by(),
        "contact__attributes",
        views=SEGMENT_KEYS,
        key_field="key",
        value_field="value",
    )


def contains_option(option: str) -> Q:
    if connection.vendor == "postgresql":
        return Q(choices__contains=[option])
    # SQLite (the demo) has no JSON containment: look for the option's JSON text inside the array.
    return Q(choices__icontains=json.dumps(option))


def _count_drivers(days) -> None:
    _delete(DailyDriverAnswer, days)
    answers = (
        Answer.objects.all() if days is None else Answer.objects.filter(response__in=_responses(days).values("id"))
    )  # a semi-join the planner can drive by the days
    common = {
        "day": local_day("response__submitted_at"),
        **{name: F(f"response__{name}") for name in (*DIMENSIONS, "score")},
    }
    path = "response__contact__attributes"
    numeric = answers.filter(question__kind__in=[Question.Kind.CSAT, Question.Kind.EFFORT], number__isnull=False)
    _insert_by_segment(
        DailyDriverAnswer,
        numeric.values("question_id", "number").annotate(**common, value=Value(""), n=Count("id")).order_by(),
        path,
    )
    single = answers.filter(question__kind=Question.Kind.SINGLE).exclude(text="")
    _insert_by_segment(
        DailyDriverAnswer,
        single.values("question_id").annotate(**common, value=F("text"), n=Count("id")).order_by(),
        path,
    )
    # A multiple-choice answer counts once per option chosen: one grouped query per option.
    for question in (
        Question.objects.filter(kind=Question.Kind.MULTIPLE, answers__in=answers).distinct().only("pk", "choices")
    ):
        for option in question.choices:
            _insert_by_segment(
                DailyDriverAnswer,
                answers.filter(contains_option(option), question_id=question.pk)
                .values("question_id")
                .annotate(**common, value=Value(str(option)[:300]), n=Count("id"))
                .order_by(),
                path,
            )


def _count_invitations(days) -> None:
    _delete(DailyInvitations, days)
    sent = Invitation.objects.filter(sent_at__isnull=False)
    if days is not None:
        sent = sent.filter(within_days("sent_at", days))
    _insert_by_segment(
        DailyInvitations,
        sent.values("campaign_id")
        .annotate(
            day=local_day("sent_at"),
            kind=F("campaign__kind"),
            touchpoint_id=F("campaign__touchpoint_id"),
            team_id=F("campaign__team_id"),
            channel=F("campaign__channel"),
            delivered=Count("id", filter=~Q(status__in=[Invitation.Status.BOUNCED, Invitation.Status.FAILED])),
            answered=Count("id", filter=ANSWERED),
        )
        .order_by(),
        "contact__attributes",
        sums=("delivered", "answered"),
    )


def latest_rows(answers):
    """What LatestScore holds, read from `answers`: each contact's latest answer per kind and the
    one before it (LAG over their answers). Give it all of a contact's answers."""
    partition = [F("contact_id"), F("kind")]
    oldest_first = [F("submitted_at").asc(), F("id").asc()]
    return (
        answers.alias(
            newest_first=Window(
                RowNumber(), partition_by=partition, order_by=[F("submitted_at").desc(), F("id").desc()]
            ),
        )
        .annotate(
            response_id=F("id"),
            attributes=F("contact__attributes"),
            prev_score=Window(Lag("score"), partition_by=partition, order_by=oldest_first),
            prev_category=Window(Lag("category"), partition_by=partition, order_by=oldest_first),
        )
        .filter(newest_first=1)
        .values(
            "contact_id",
            *DIMENSIONS,
            "submitted_at",
            "score",
            "category",
            "response_id",
            "attributes",
            "prev_score",
            "prev_category",
        )
    )


def _count_latest(contact_ids) -> None:
    if contact_ids is None:
        _delete(LatestScore, None)
        answers = Response.objects.filter(contact_id__isnull=False)
    else:
        LatestScore.objects.filter(contact_id__in=contact_ids).delete()
        answers = Response.objects.filter(contact_id__in=contact_ids)
    _insert_from(LatestScore, latest_rows(answers))


def _tune_for_bulk() -> None:
    """For a full count only: PostgreSQL guesses a million groups where there are thousands and
    sorts on disk; with memory for a hash table it aggregates three to four times faster."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute("SET LOCAL enable_sort = off")


ROLLUPS = (DailyScore, DailySegmentScore, DailyDriverAnswer, DailyInvitations, LatestScore)


def _delete(model, days) -> None:
    if days is not None:
        model.objects.filter(on_days(days)).delete()
    elif connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # no dead rows left behind by a full recount
            # Foreign-key checks still pending in this transaction would block the TRUNCATE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {connection.ops.quote_name(model._meta.db_table)}")
    else:
        model.objects.all().delete()


def _analyze() -> None:
    """After a full count the planner must know the tables' new sizes (autovacuum comes later)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in ROLLUPS:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


# --- What changed ------------------------------------------------------------------------------
FULL_RECOUNT_DAYS = 400  # past this many days (or contacts below), recounting everything is cheaper
FULL_RECOUNT_CONTACTS = 10_000
ALL = None  # a recount of everything


def _mark(qs, field_name: str) -> tuple:
    """The newest value of `field_name` and how many rows lie within the margin before it."""
    newest = qs.aggregate(m=Max(field_name))["m"]
    if newest is None:
        return None, 0
    return newest, qs.filter(**{f"{field_name}__gt": newest - LATE_COMMIT_MARGIN}).count()


def _changed(qs, field_name: str, mark, seen: int, *, reader: bool = False):
    """Rows changed since `mark` (late commits included), or None when nothing changed.

    The refresh takes every row within the margin before the mark whenever anything changed. A
    reader takes only the rows past the mark when the margin still holds exactly the rows it held
    (nothing committed late), so a bulk load does not make every page count it all live for five
    minutes. (A late commit while another row of the margin moved past the mark evens the count out:
    a reader then misses that one late row until the next refresh, which takes it.)"""
    if mark is None:
        recent = qs.filter(**{f"{field_name}__isnull": False})
        return recent if recent.exists() else None
    recent = qs.filter(**{f"{field_name}__gt": mark - LATE_COMMIT_MARGIN})
    row = recent.aggregate(
        newest=Max(field_name), count=Count("pk"), behind=Count("pk", filter=Q(**{f"{field_name}__lte": mark}))
    )
    if (row["newest"] is None or row["newest"] <= mark) and row["count"] == seen:
        return None
    if reader and row["behind"] == seen:
        return qs.filter(**{f"{field_name}__gt": mark})
    return recent


def _bounded(values, limit):
    values = set(values[: limit + 1])
    return ALL if len(values) > limit else values


@dataclass
class Work:
    days: set | None = field(default_factory=set)
    contacts: set | None = field(default_factory=set)
    invitation_days: set | None = field(default_factory=set)
    marks: dict = field(default_factory=dict)
    contact_queries: list = field(default_factory=list)  # for a reader: the changed contacts, as subqueries

    def add(self, name: str, values) -> None:
        current = getattr(self, name)
        if current is not ALL:
            setattr(self, name, ALL if values is ALL else current | set(values))


def pending(state: RollupState, now: datetime, *, reader: bool = False) -> Work:
    """What to recount. Each source's new mark is taken before its changed rows are read, so a row
    committed in between is either read now or lies past the mark and is read next time.

    A reader (scoring.freshness) asks the same question to learn what the rollups do not cover
    yet, and takes no marks. Contacts have no index on updated_at: checking them scans the table,
    which the worker does once per refresh (every 30 s) and a reader once per page."""
    work = Work()
    changed = _changed(Response.objects.all(), "updated_at", state.watermark, state.watermark_seen, reader=reader)
    if changed is not None:
        if not reader:
            work.marks["watermark"] = _mark(Response.objects.all(), "updated_at")
        work.add(
            "days",
            _bounded(
                changed.annotate(d=local_day("submitted_at")).values_list("d", flat=True).distinct().order_by(),
                FULL_RECOUNT_DAYS,
            ),
        )
        if reader:
            work.contact_queries.append(changed.exclude(contact_id=None).values("contact_id"))
        else:
            work.add(
                "contacts",
                _bounded(
                    changed.exclude(contact_id=None).values_list("contact_id", flat=True).distinct().order_by(),
                    FULL_RECOUNT_CONTACTS,
                ),
            )
        work.add(
            "invitation_days",
            changed.exclude(invitation__sent_at=None)
            .annotate(d=local_day("invitation__sent_at"))
            .values_list("d", flat=True)
            .distinct()
            .order_by(),
        )
    # Contacts every time: the worker refreshes every 30 s, and readers must see segment changes at once.
    work.marks["contacts_checked_at"] = (now,)
    changed = _changed(Contact.objects.all(), "updated_at", state.contacts_mark, state.contacts_seen, reader=reader)
    if changed is not None:
        if not reader:
            work.marks["contacts_mark"] = _mark(Contact.objects.all(), "updated_at")
        answers = Response.objects.filter(contact_id__in=changed.values("pk"))
        work.add(
            "days",
            _bounded(
                answers.annotate(d=local_day("submitted_at")).values_list("d", flat=True).distinct().order_by(),
                FULL_RECOUNT_DAYS,
            ),
        )
        if reader:
            work.contact_queries.append(changed.values("pk"))
        else:
            work.add("contacts", _bounded(changed.values_list("pk", flat=True).order_by(), FULL_RECOUNT_CONTACTS))
        sent = Invitation.objects.filter(contact_id__in=changed.values("pk"), sent_at__isnull=False)
        work.add(
            "invitation_days",
            _bounded(
                sent.annotate(d=local_day("sent_at")).values_list("d", flat=True).distinct().order_by(),
                FULL_RECOUNT_DAYS,
            ),
        )
    changed = _changed(
        Invitation.objects.all(), "sent_at", state.invitations_mark, state.invitations_seen, reader=reader
    )
    if changed is not None:
        if not reader:
            work.marks["invitations_mark"] = _mark(Invitation.objects.all(), "sent_at")
        work.add(
            "invitation_days",
            _bounded(
                changed.annotate(d=local_day("sent_at")).values_list("d", flat=True).distinct().order_by(),
                FULL_RECOUNT_DAYS,
            ),
        )
    frozen_through = live_from(timezone.localdate(now)) - timedelta(days=1)
    if state.invitations_frozen_through is not None and state.invitations_frozen_through < frozen_through:
        # Days that just left the live window are counted once more, with their late bounces.
        first = max(state.invitations_frozen_through, frozen_through - timedelta(days=FULL_RECOUNT_DAYS))
        work.add("invitation_days", [first + timedelta(days=i + 1) for i in range((frozen_through - first).days)])
    work.marks["invitations_frozen_through"] = (frozen_through,)
    return work


def _recount(work: Work) -> None:
    """Recount the days (as at most MAX_RANGES ranges) and contacts that changed."""
    if work.days != set():
        days = ALL if work.days is ALL else day_ranges(work.days)
        _count_scores(days)
        _count_segments(days)
        _count_drivers(days)
    if work.contacts != set():
        _count_latest(work.contacts)
    if work.invitation_days != set():
        _count_invitations(ALL if work.invitation_days is ALL else day_ranges(work.invitation_days))


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
        "watermark": _mark(Response.objects.all(), "updated_at"),
        "contacts_mark": _mark(Contact.objects.all(), "updated_at"),
        "invitations_mark": _mark(Invitation.objects.all(), "sent_at"),
        "contacts_checked_at": (now,),
        "invitations_frozen_through": (live_from(timezone.localdate(now)) - timedelta(days=1),),
    }


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
        _recount(work)
        _save_marks(state, work.marks)
        state.refreshed_at, state.error = now, ""
        state.save(update_fields=["built_at", "refreshed_at", "error"])
        if work.days is ALL:
            _analyze()
            return -1
        return len(work.days)
