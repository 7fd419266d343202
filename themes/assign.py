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

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from core import bulk
from surveys.models import CUSTOMER_KINDS, Response
from themes import text
from themes.matching import Matcher
from themes.models import CommentAnalysis, CommentTheme, Theme, ThemeDay, ThemeRules

BATCH = 2000
FIELDS = ("pk", "comment", "language", "updated_at")
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
            _delete_assignments(ids)
            CommentAnalysis.objects.filter(response_id__any=ids).delete()


def _analyse(rows: list[dict], *, version: int | None = None) -> int:
    """Detect each comment's language, match it to the themes, and store both. The answer's
    dimensions are copied inside the database (INSERT … SELECT from the answer): only ids, the
    language, the `updated_at` read and the theme ids travel from Python."""
    if not rows:
        return 0
    version = version or rules().version
    match = matcher(version)
    analyses, assignments = [], []
    for row in rows:
        language = text.detect_language(row["comment"], row["language"])
        themes = match.themes_for(row["comment"], language)
        analyses.append((row["pk"], language, row["updated_at"], version, bool(themes)))
        assignments += [(row["pk"], theme) for theme in sorted(themes)]
    ids = [row["pk"] for row in rows]
    with transaction.atomic():
        _delete_assignments(ids)
        CommentAnalysis.objects.filter(response_id__any=ids).delete()
        _insert(CommentAnalysis, ANALYSIS_COLUMNS, analyses, copied=ANALYSIS_COPIED)
        _insert_assignments(assignments)
    return len(rows)


ANALYSIS_COLUMNS = ("response_id", "language", "analysed_at", "rules_version", "themed")
# Columns an insert copies from the answer it names (its first column), as SQL over the answer `r`.
ANALYSIS_COPIED = {"submitted_at": "r.submitted_at"}
THEME_COPIED = {
    "day": "local day",  # submitted_at's date in settings.TIME_ZONE (_copied_sql)
    **{name: f"r.{name}" for name in COPIED},
}


# --- ThemeDay: the assignments counted per day, theme, dimensions and category -------------------
# Kept equal to the assignments by the statements that change them, inside the database: what a
# statement deletes is counted out, what it inserts is counted in (on PostgreSQL the rows its
# RETURNING gives, so a row another worker deleted or inserted first is never counted twice; on
# SQLite the rows themselves, read under its one write lock). Rows go in key order, so two workers
# lock them in the same order.
DAY_KEY = ("day", "theme_id", "kind", "campaign_id", "touchpoint_id", "team_id", "channel", "language")
DAY_COUNTS = ("promoters", "passives", "detractors")


def _count_days_sql(source: str, sign: str = "") -> str:
    """An upsert adding (sign "") or subtracting (sign "-") the assignments of `source`, a table
    expression with CommentTheme's columns, to ThemeDay. No touchpoint or team counts as 0; a
    category other than promoter or detractor as passive."""
    table = connection.ops.quote_name(ThemeDay._meta.db_table)
    key = ", ".join(_column(ThemeDay, n) for n in DAY_KEY)
    grouped = ", ".join(f"COALESCE({n}, 0)" if n in ("touchpoint_id", "team_id") else n for n in DAY_KEY)
    sums = (
        f"{sign}SUM(CASE WHEN category = 'promoter' THEN 1 ELSE 0 END), "
        f"{sign}SUM(CASE WHEN category IN ('promoter', 'detractor') THEN 0 ELSE 1 END), "
        f"{sign}SUM(CASE WHEN category = 'detractor' THEN 1 ELSE 0 END)"
    )
    added = ", ".join(f"{n} = {table}.{n} + excluded.{n}" for n in DAY_COUNTS)
    return (
        f"INSERT INTO {table} ({key}, {', '.join(DAY_COUNTS)}) "
        f"SELECT {grouped}, {sums} FROM {source} WHERE day IS NOT NULL "
        f"GROUP BY {grouped} ORDER BY {grouped} "
        f"ON CONFLICT ({key}) DO UPDATE SET {added}"
    )


def _delete_assignments(ids: list[int]) -> None:
    """Delete the assignments of these answers and count them out of ThemeDay."""
    table = connection.ops.quote_name(CommentTheme._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            gone = f"DELETE FROM {table} WHERE response_id = ANY(%b::bigint[]) RETURNING *"
            cursor.execute(f"WITH gone AS ({gone}) {_count_days_sql('gone', '-')}", [list(ids)])
            return
        where = f"response_id IN ({', '.join(['%s'] * len(ids))})"
        cursor.execute(_count_days_sql(f"(SELECT * FROM {table} WHERE {where}) gone", "-"), ids)
        cursor.execute(f"DELETE FROM {table} WHERE {where}", ids)


def _insert_assignments(assignments: list[tuple[int, int]]) -> None:
    """Insert (answer id, theme id) assignments, their dimensions copied from the answer, and count
    them into ThemeDay."""
    if not assignments:
        return
    columns = ("response_id", "theme_id")
    if connection.vendor == "postgresql":
        _insert(CommentTheme, columns, assignments, copied=THEME_COPIED, then=_count_days_sql("added"))
        return
    _insert(CommentTheme, columns, assignments, copied=THEME_COPIED)
    table = connection.ops.quote_name(CommentTheme._meta.db_table)
    ids = sorted({response_id for response_id, _theme in assignments})
    where = f"response_id IN ({', '.join(['%s'] * len(ids))})"
    with connection.cursor() as cursor:
        cursor.execute(_count_days_sql(f"(SELECT * FROM {table} WHERE {where}) added"), ids)


def count_theme_days() -> int:
    """Count ThemeDay again from the assignments, whole (the nightly pass; a few seconds for a million
    assignments): it heals whatever went out of step and drops the rows that fell to zero. Writers
    wait meanwhile (a table lock they share), readers do not. Returns the number of rows."""
    table = connection.ops.quote_name(ThemeDay._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {table}")
        cursor.execute(_count_days_sql(connection.ops.quote_name(CommentTheme._meta.db_table)))
        return ThemeDay.objects.count()


def _column(model, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


def _insert(model, columns: tuple, rows: list[tuple], *, copied=None, then: str = "") -> None:
    """Insert plain rows, ignoring rows another worker inserted meanwhile. With `copied` ({column:
    SQL over the answer `r`}), each row's first value is an answer's id and those columns are taken
    from that answer inside the database.

    On PostgreSQL one statement for the whole batch (INSERT … SELECT FROM unnest of one array per
    column, sent in binary: psycopg formats a text array element by element, which cost more than
    storing the rows), with `then`, a statement over the inserted rows as `added`, in the same
    statement; elsewhere one prepared statement run for each row."""
    if not rows:
        return
    ops = connection.ops
    copied = copied or {}
    fields = [model._meta.get_field(name) for name in (*columns, *copied)]  # field names or attnames
    names = ", ".join(ops.quote_name(field.column) for field in fields)
    table = ops.quote_name(model._meta.db_table)
    answers = ops.quote_name(Response._meta.db_table)
    taken, taken_params = _copied_sql(copied)
    if connection.vendor == "postgresql":
        arrays = bulk.array_params(fields[: len(columns)])
        given = ", ".join(f"u.c{i}" for i in range(len(columns)))
        aliases = ", ".join(f"c{i}" for i in range(len(columns)))
        source = f"unnest({arrays}) AS u({aliases})"
        if copied:
            source += f" JOIN {answers} r ON r.id = u.c0"
        sql = f"INSERT INTO {table} ({names}) SELECT {given}{taken} FROM {source} ON CONFLICT DO NOTHING"
        if then:
            sql = f"WITH added AS ({sql} RETURNING *) {then}"
        with connection.cursor() as cursor:
            cursor.execute(sql, [*taken_params, *(list(column) for column in zip(*rows))])
        return
    values = bulk.adapted(fields, rows)
    marks = ", ".join(["%s"] * len(columns))
    select = f"VALUES ({marks})"
    if copied:  # the row's values, the copied columns' parameters, then the answer's id
        select = f"SELECT {marks}{taken} FROM {answers} r WHERE r.id = %s"
        values = [[*v, *taken_params, v[0]] for v in values]
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({names}) {select} ON CONFLICT DO NOTHING", values)


def _copied_sql(copied: dict) -> tuple[str, list]:
    """The SELECT list's copied columns (", expr, …") and their parameters."""
    parts, params = [], []
    for sql in copied.values():
        if sql == "local day":
            sql, extra = connection.ops.datetime_cast_date_sql("r.submitted_at", (), settings.TIME_ZONE)
            params += extra
        parts.append(sql)
    return "".join(f", {part}" for part in parts), params
