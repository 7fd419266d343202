"""Reading comments: each comment's language and themes, written by the worker, read by the reports.

Two paths, one piece of code (`_analyse`):
- after an answer or its "why" arrives, the answer-processing path (followups.processing) queues
  `themes.tasks.analyse_comments` for the batch's answers with a new or changed comment;
- a nightly pass (`analyse_pending`) catches up on everything else, incrementally: comments never
  read (a lost task, an import), answers changed since they were read (a new score, an edited
  comment), comments read under an older version of the themes (a theme added, edited, merged),
  and forgets the themes of comments that were removed (retention, erasure).

An analysis remembers the answer's `updated_at` as it was read, not the clock: an answer that
changes while it is being read is read again next time. Writing is idempotent (delete, then insert
ignoring conflicts), so two workers reading the same answers change nothing twice.
"""

import logging
import threading
from datetime import date
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from surveys.models import CUSTOMER_KINDS, Response
from themes import text
from themes.matching import Matcher
from themes.models import CommentAnalysis, CommentTheme, Theme, ThemeDay, ThemeRules

BATCH = 2000
FIELDS = (
    "pk",
    "comment",
    "language",
    "updated_at",
    "submitted_at",
    "category",
    "kind",
    "campaign_id",
    "touchpoint_id",
    "team_id",
    "channel",
    "contact_id",
)
COPIED = (
    "submitted_at",
    "category",
    "kind",
    "campaign_id",
    "touchpoint_id",
    "team_id",
    "channel",
    "language",
    "contact_id",
)
logger = logging.getLogger(__name__)
_matchers: dict[int, Matcher] = {}
_lock = threading.Lock()


def rules() -> ThemeRules:
    return ThemeRules.objects.get_or_create(pk=1)[0]


def matcher(version: int) -> Matcher:
    """The matcher of the active themes at `version`, built once per process and version."""
    with _lock:
        found = _matchers.get(version)
        if found is None:
            themes = list(Theme.objects.filter(active=True).values_list("pk", "phrases"))
            _matchers.clear()
            found = _matchers[version] = Matcher(themes)
        return found


def analyse_responses(*, response_ids: list[int]) -> int:
    """Read the comments of these answers now (the worker, right after they arrived). Returns how
    many comments were read; answers without a comment lose any themes they had."""
    done = 0
    for start in range(0, len(response_ids), BATCH):
        ids = response_ids[start : start + BATCH]
        rows = list(Response.objects.filter(pk__any=ids).exclude(comment="").values(*FIELDS))
        read = {row["pk"] for row in rows}
        _forget([i for i in ids if i not in read])
        done += _analyse(rows)
    return done


def pending(version: int):
    """The answers whose comment needs reading: never read, changed since, or read under older rules."""
    return (
        Response.objects.exclude(comment="")
        .filter(kind__in=CUSTOMER_KINDS)  # an employee's eNPS comment joins no customer theme
        .filter(
            Q(comment_analysis__isnull=True)
            | Q(comment_analysis__analysed_at__lt=F("updated_at"))
            | Q(comment_analysis__rules_version__lt=version)
        )
        .order_by("pk")
    )


def analyse_pending(*, limit: int = 200_000) -> int:
    """The nightly pass: forget the themes of removed comments, then read up to `limit` pending
    comments in batches (the rest the next night). Returns how many were read."""
    removed = list(CommentAnalysis.objects.filter(response__comment="").values_list("pk", flat=True)[:limit])
    _forget(removed)
    state = rules()
    done = 0
    while done < limit:
        rows = list(pending(state.version).values(*FIELDS)[: min(BATCH, limit - done)])
        if not rows:
            break
        done += _analyse(rows, version=state.version)
    ThemeRules.objects.filter(pk=state.pk).update(last_pass_at=timezone.now(), last_pass_count=done)
    return done


def _forget(ids: list[int]) -> None:
    if ids:
        with transaction.atomic():
            removed = _delete_assignments(ids)
            CommentAnalysis.objects.filter(response_id__any=ids).delete()
            _count_days(removed, [])


def _analyse(rows: list[dict], *, version: int | None = None) -> int:
    """Detect each comment's language, match it to the themes, and store both."""
    if not rows:
        return 0
    version = version or rules().version
    match = matcher(version)
    zone = ZoneInfo(settings.TIME_ZONE)
    analyses, assignments = [], []
    for row in rows:
        language = text.detect_language(row["comment"], row["language"])
        themes = match.themes_for(row["comment"], language)
        analyses.append((row["pk"], language, row["updated_at"], version, bool(themes), row["submitted_at"]))
        copied = tuple(row[name] for name in COPIED)
        day = timezone.localtime(row["submitted_at"], zone).date()
        assignments += [(row["pk"], theme, day, *copied) for theme in sorted(themes)]
    ids = [row["pk"] for row in rows]
    with transaction.atomic():
        removed = _delete_assignments(ids)
        CommentAnalysis.objects.filter(response_id__any=ids).delete()
        _insert(CommentAnalysis, ANALYSIS_COLUMNS, analyses)
        added = _insert(CommentTheme, THEME_COLUMNS, assignments, returning=TALLIED)
        _count_days(removed, added)
    return len(rows)


ANALYSIS_COLUMNS = ("response_id", "language", "analysed_at", "rules_version", "themed", "submitted_at")
THEME_COLUMNS = ("response_id", "theme_id", "day", *COPIED)
# What ThemeDay counts of an assignment: its key (day, theme, dimensions) and its category.
DAY_KEY = ("day", "theme_id", "kind", "campaign_id", "touchpoint_id", "team_id", "channel", "language")
TALLIED = (*DAY_KEY, "category")
DAY_COUNTS = {"promoter": "promoters", "passive": "passives", "detractor": "detractors"}


def _delete_assignments(ids: list[int]) -> list[tuple]:
    """Delete the assignments of these answers; return the ones this transaction deleted (TALLIED
    columns): a row another worker deleted first is not counted twice."""
    table = connection.ops.quote_name(CommentTheme._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(CommentTheme._meta.get_field(n).column) for n in TALLIED)
    if connection.vendor == "postgresql":
        where, params = "response_id = ANY(%s::bigint[])", [list(ids)]
    else:
        where, params = f"response_id IN ({', '.join(['%s'] * len(ids))})", list(ids)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {where} RETURNING {columns}", params)
        return cursor.fetchall()


def _count_days(removed: list[tuple], added: list[tuple]) -> None:
    """Keep ThemeDay equal to the assignments: add the batch's inserted rows and subtract its
    deleted ones, per key and category, in one statement. A comment read again unchanged nets to
    nothing and writes nothing. Keys go in sorted order, so two workers lock rows in the same order."""
    counts: dict[tuple, list[int]] = {}
    for rows, sign in ((removed, -1), (added, 1)):
        for *key, category in rows:
            day = key[0]
            if day is None:  # an assignment from before days were stored: no report reads it
                continue
            key[0] = day if isinstance(day, date) else date.fromisoformat(str(day))  # SQLite returns text
            key[4], key[5] = key[4] or 0, key[5] or 0  # no touchpoint, no team
            slot = {"promoter": 0, "detractor": 2}.get(category, 1)  # as count_theme_days: else passive
            counts.setdefault(tuple(key), [0, 0, 0])[slot] += sign
    changed = sorted((*key, *n) for key, n in counts.items() if any(n))
    if changed:
        set_ = ", ".join(f"{name} = {{table}}.{name} + excluded.{name}" for name in DAY_COUNTS.values())
        _insert(
            ThemeDay,
            (*DAY_KEY, *DAY_COUNTS.values()),
            changed,
            conflict=f"({', '.join(_column(ThemeDay, n) for n in DAY_KEY)}) DO UPDATE SET {set_}",
        )


def count_theme_days() -> int:
    """Count ThemeDay again from the assignments, whole (the nightly pass; a few seconds for a million
    assignments): it heals whatever went out of step and drops the rows that fell to zero. Writers
    wait meanwhile (a table lock they share), readers do not. Returns the number of rows."""
    ct, td = (connection.ops.quote_name(m._meta.db_table) for m in (CommentTheme, ThemeDay))
    key = ", ".join(_column(ThemeDay, n) for n in DAY_KEY)
    source = ", ".join(
        f"COALESCE({_column(CommentTheme, n)}, 0)" if n in ("touchpoint_id", "team_id") else _column(CommentTheme, n)
        for n in DAY_KEY
    )
    # As _count_days counts: a category that is neither promoter nor detractor counts as passive.
    sums = (
        "SUM(CASE WHEN category = 'promoter' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN category IN ('promoter', 'detractor') THEN 0 ELSE 1 END), "
        "SUM(CASE WHEN category = 'detractor' THEN 1 ELSE 0 END)"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {td} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {td}")
        cursor.execute(
            f"INSERT INTO {td} ({key}, {', '.join(DAY_COUNTS.values())}) "
            f"SELECT {source}, {sums} FROM {ct} WHERE day IS NOT NULL GROUP BY {source}"
        )
        return cursor.rowcount


def _column(model, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


def _insert(model, columns: tuple, rows: list[tuple], *, conflict: str = "DO NOTHING", returning: tuple = ()):
    """Insert plain rows, ignoring rows another worker inserted meanwhile (or, with `conflict`,
    doing that instead). On PostgreSQL one statement for the whole batch (INSERT … SELECT FROM
    unnest of one array per column), elsewhere one prepared statement run for each row: the ORM's
    bulk_create spent more time preparing each value than the database spent storing it.

    With `returning` (column names), returns those columns of the rows actually inserted. SQLite
    returns every row given: the batch's DELETE took its one write lock, so no other worker can
    have inserted one of them since."""
    if not rows:
        return []
    ops = connection.ops
    fields = [model._meta.get_field(name) for name in columns]  # field names or attnames
    names = ", ".join(ops.quote_name(field.column) for field in fields)
    table = ops.quote_name(model._meta.db_table)
    conflict = conflict.replace("{table}", table)
    if connection.vendor == "postgresql":
        arrays = ", ".join(
            f"%s::{field.rel_db_type(connection) if field.is_relation else field.db_type(connection)}[]"
            for field in fields
        )
        sql = f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) ON CONFLICT {conflict}"
        if returning:
            sql += " RETURNING " + ", ".join(_column(model, name) for name in returning)
        with connection.cursor() as cursor:
            cursor.execute(sql, [list(column) for column in zip(*rows)])
            return cursor.fetchall() if returning else []
    adapt = [
        ops.adapt_datetimefield_value if field.get_internal_type() == "DateTimeField" else None for field in fields
    ]
    values = [[a(v) if a else v for a, v in zip(adapt, row)] for row in rows]
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT {conflict}", values)
    positions = [columns.index(name) for name in returning]
    return [tuple(row[i] for i in positions) for row in rows]
