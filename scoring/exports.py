"""Exports of the filtered responses (CSV streamed, XLSX written row by row to a temporary file)
and of breakdowns. Every cell that a spreadsheet would run as a formula is neutralised."""

import csv
import io
import tempfile
from datetime import UTC

from django.db import connections, transaction
from django.db.models import F, Q, TextField
from django.db.models.functions import Cast, TruncMinute
from django.http import FileResponse, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from core.audit import audit_log
from core.readahead import read_ahead
from scoring import queries
from scoring.filters import attribute_text
from surveys.models import Answer, Question

# Full-width forms too (U+FF1D, U+FF0B, U+FF0D, U+FF20): some spreadsheet locales evaluate them.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
SEGMENT_COLUMNS = ("plan", "region", "size")
HEADER = [
    "submitted_at",
    "campaign",
    "kind",
    "touchpoint",
    "channel",
    "team",
    "language",
    "contact_email",
    "contact_name",
    "company",
    *SEGMENT_COLUMNS,
    "score",
    "category",
    "comment",
    "driver_answers",
]
CHUNK = 2000
# The lines PostgreSQL makes come in bigger chunks: a chunk's query costs its planning and its keyset
# start however few rows it has (PostgreSQL's CPU per row at 1M: 13.8 us at 2,000 rows a chunk, 11.3
# at 10,000, 9.9 at 25,000; README: Performance). But a chunk is one text of about 160 bytes a row,
# held a few times over (the driver's bytes, the str, the encoded body, the read-ahead's next chunk):
# at 20,000 rows the web process's peak RSS went past its 150 MB goal (153.6 MB in make bench).
LINE_CHUNK = 10000
# Column names in the reader's language; HEADER's keys stay the same in every language (English).
COLUMN_LABELS = {
    "submitted_at": pgettext_lazy("export column", "submitted_at"),
    "campaign": pgettext_lazy("export column", "campaign"),
    "kind": pgettext_lazy("export column", "kind"),
    "touchpoint": pgettext_lazy("export column", "touchpoint"),
    "channel": pgettext_lazy("export column", "channel"),
    "team": pgettext_lazy("export column", "team"),
    "language": pgettext_lazy("export column", "language"),
    "contact_email": pgettext_lazy("export column", "contact_email"),
    "contact_name": pgettext_lazy("export column", "contact_name"),
    "company": pgettext_lazy("export column", "company"),
    "score": pgettext_lazy("export column", "score"),
    "category": pgettext_lazy("export column", "category"),
    "comment": pgettext_lazy("export column", "comment"),
    "driver_answers": pgettext_lazy("export column", "driver_answers"),
    "n": "n",
    "promoters": pgettext_lazy("export column", "promoters"),
    "passives": pgettext_lazy("export column", "passives"),
    "detractors": pgettext_lazy("export column", "detractors"),
    "nps": "nps",
    "margin": pgettext_lazy("export column", "margin"),
    "too_few": pgettext_lazy("export column", "too_few"),
}


def header(keys=HEADER) -> list[str]:
    """The header row in the active language (segment attribute names are data: kept as they are)."""
    return [str(COLUMN_LABELS.get(key, key)) for key in keys]


def neutralise(value):
    """Prefix text that would start a formula with a quote, so spreadsheets show it as text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _of_responses(qs, ids: list[int]):
    """The rows of `qs` (answers) of these responses. On PostgreSQL the ids travel as one array
    (`= ANY(%s)`, an index probe each): 2,000 placeholders of an IN list cost more to prepare and
    send than the rows they find, and a subquery let the planner scan every answer per chunk."""
    if connections[qs.db].vendor == "postgresql":
        return qs.extra(where=[f'"{Answer._meta.db_table}"."response_id" = ANY(%s)'], params=[ids])
    return qs.filter(response_id__in=ids)


def _driver_answers(response_ids: list[int]) -> dict[int, str]:
    """Each response's driver answers as one cell ("question: answer | …"), for a chunk, in one query."""
    answers: dict[int, list] = {}
    for response_id, question, number, choices, text in (
        _of_responses(Answer.objects.all(), response_ids)
        .order_by("question__order", "question_id")
        .values_list("response_id", "question__text", "number", "choices", "text")
    ):
        value = number if number is not None else (", ".join(map(str, choices)) if choices else text)
        answers.setdefault(response_id, []).append(f"{question}: {value}")
    return {pk: neutralise(" | ".join(parts)) for pk, parts in answers.items()}


# What a chunk reads of each response: plain values (no model instances), the names joined in, the
# segment attributes as text (as the segment filter and the rollups read them).
FIELDS = (
    "pk",
    "campaign__name",
    "kind",
    "touchpoint__name",
    "channel",
    "team__name",
    "language",
    "contact__email",
    "contact__name",
    "contact__company",
    "score",
    "category",
    "comment",
)


def _ordered(filters):
    """The responses to export, oldest first (time, then id: the keyset of every chunk)."""
    return queries.responses(filters, with_category=True, with_search=True).order_by("submitted_at", "id")


def _after(qs, after):
    """The rows of `qs` after the keyset `after` ((submitted_at, id), or None: from the start), along
    the time index."""
    if after is None:
        return qs
    at, pk = after
    return qs.filter(Q(submitted_at__gt=at) | Q(submitted_at=at, id__gt=pk), submitted_at__gte=at)


def _minute():
    """The cell's time: the local minute (what the export has always shown), as text made by the
    database (parsing a timestamp per row took a sixth of the export's time)."""
    return Cast(TruncMinute("submitted_at", tzinfo=timezone.get_current_timezone()), TextField())


def _read_chunks(filters):
    """The responses to export, CHUNK at a time, oldest first, each with its driver answers. Each
    chunk is one query that starts where the last one ended (keyset pagination on submitted_at and
    id, so every chunk uses the time index and no query or cursor lives as long as the download),
    and one more for its driver answers: memory stays flat and the time per row does not grow with
    the data."""
    qs = _ordered(filters)
    # The exact instant as text too, for the next chunk's start.
    times = (_minute(), Cast("submitted_at", TextField()))
    segments = [attribute_text(key) for key in SEGMENT_COLUMNS]
    after = None
    while True:
        chunk = list(_after(qs, after).values_list(*FIELDS, *segments, *times)[:CHUNK])
        if not chunk:
            return
        yield chunk, _driver_answers([row[0] for row in chunk])
        if len(chunk) < CHUNK:
            return
        at = parse_datetime(chunk[-1][-1])  # UTC: PostgreSQL's text says so (+00), SQLite's does not
        after = (at if at.tzinfo else at.replace(tzinfo=UTC)), chunk[-1][0]


def row_chunks(filters):
    """The export's rows, neutralised, CHUNK at a time, oldest first. The next chunk is read while
    this one is formatted (core.readahead)."""
    for chunk, drivers in read_ahead(_read_chunks(filters)):
        out = []
        for pk, campaign, kind, touchpoint, channel, team, language, *rest in chunk:
            email, name, company, score, category, comment, *segment, minute, _instant = rest
            out.append(
                [
                    minute[:16],
                    neutralise(campaign),
                    kind,
                    neutralise(touchpoint or ""),
                    channel,
                    neutralise(team or ""),
                    language,
                    neutralise(email or ""),
                    neutralise(name or ""),
                    neutralise(company or ""),
                    *[neutralise(value or "") for value in segment],
                    score,
                    category,
                    neutralise(comment),
                    drivers.get(pk, ""),
                ]
            )
        yield out


# The PostgreSQL path: the database writes the CSV lines itself, the same bytes as csv.writer's
# (excel dialect: a cell with a comma, a quote, CR or LF is quoted, quotes doubled, lines end in
# CRLF) after the same neutralising, so Python handles one text per chunk instead of 20 cells a row.
def _sql_neutralised(sql: str) -> str:
    """neutralise() in SQL, of a text that is not NULL."""
    starts = ", ".join(f"chr({ord(start)})" for start in FORMULA_STARTS)  # single characters, no params
    return f"CASE WHEN left({sql}, 1) = ANY(ARRAY[{starts}]) THEN chr(39) || {sql} ELSE {sql} END"


def _sql_quoted(sql: str) -> str:
    """A CSV cell of a text that is not NULL, quoted as csv.writer quotes it."""
    return (
        f"CASE WHEN strpos({sql}, ',') + strpos({sql}, '\"') + strpos({sql}, chr(13)) + strpos({sql}, chr(10)) > 0"
        f" THEN '\"' || replace({sql}, '\"', '\"\"') || '\"' ELSE {sql} END"
    )


# _driver_answers' cell, per response: a number as it is, choices joined with ", " (strings as they
# are, numbers as JSON writes them, as Python's str does for the lists the forms store), else the text.
_SQL_DRIVERS = f"""(SELECT string_agg(q.text || ': ' || CASE
        WHEN a.number IS NOT NULL THEN a.number::text
        WHEN jsonb_typeof(a.choices) = 'array' AND jsonb_array_length(a.choices) > 0 THEN (
            SELECT string_agg(CASE jsonb_typeof(e) WHEN 'string' THEN e #>> '{{}}' WHEN 'null' THEN 'None'
                                  WHEN 'boolean' THEN initcap(e::text) ELSE e::text END, ', ' ORDER BY n)
            FROM jsonb_array_elements(a.choices) WITH ORDINALITY AS x(e, n))
        ELSE a.text END, ' | ' ORDER BY q."order", q.id)
    FROM {Answer._meta.db_table} a JOIN {Question._meta.db_table} q ON q.id = a.question_id
    WHERE a.response_id = t.r_id)"""

# The row's cells in HEADER's order: (SQL, neutralised, quoted). The minute and the score, digits and
# their marks, need neither.
_SQL_CELLS = (
    ("left(t.c_minute, 16)", False, False),
    ("t.c_campaign", True, True),
    ("t.c_kind", False, True),
    ("t.c_touchpoint", True, True),
    ("t.c_channel", False, True),
    ("t.c_team", True, True),
    ("t.c_language", False, True),
    ("t.c_email", True, True),
    ("t.c_name", True, True),
    ("t.c_company", True, True),
    *((f"t.c_{key}", True, True) for key in SEGMENT_COLUMNS),
    ("t.c_score::text", False, False),
    ("t.c_category", False, True),
    ("t.c_comment", True, True),
    (_SQL_DRIVERS, True, True),
)


def _line_chunks(filters):
    """PostgreSQL: the export's CSV lines, LINE_CHUNK rows a time as one text, oldest first. Each chunk is
    one query: the keyset page of _read_chunks (the responses' filters, the time index, no query
    living as long as the download) with each row's line and driver answers made in the database,
    joined into one text with the last row's keyset."""
    qs = _ordered(filters)
    values = {
        "r_id": F("id"),
        "r_at": F("submitted_at"),
        "c_minute": _minute(),
        "c_campaign": F("campaign__name"),
        "c_kind": F("kind"),
        "c_touchpoint": F("touchpoint__name"),
        "c_channel": F("channel"),
        "c_team": F("team__name"),
        "c_language": F("language"),
        "c_email": F("contact__email"),
        "c_name": F("contact__name"),
        "c_company": F("contact__company"),
        **{f"c_{key}": attribute_text(key) for key in SEGMENT_COLUMNS},
        "c_score": F("score"),
        "c_category": F("category"),
        "c_comment": F("comment"),
    }
    # Three steps, each a subquery of its own (OFFSET 0 keeps the planner from merging them), so
    # that every value, the driver answers' subquery above all, is made once and only then
    # neutralised and quoted (each step names its value several times).
    names = [f"v{i}" for i in range(len(_SQL_CELLS))]
    cells = list(zip(names, _SQL_CELLS, strict=True))
    made = ", ".join(f"coalesce({sql}, '') AS {name}" for name, (sql, _, _) in cells)
    safe = ", ".join(f"{_sql_neutralised(name) if neutral else name} AS {name}" for name, (_, neutral, _) in cells)
    line = " || ',' || ".join(_sql_quoted(name) if quoted else name for name, (_, _, quoted) in cells)
    after = None
    while True:
        page = _after(qs, after).values(**values)[:LINE_CHUNK]
        inner, params = page.query.get_compiler(using=page.db).as_sql()
        # A plan of its own for every chunk: psycopg prepares a statement run five times, and the
        # generic plan PostgreSQL then makes, blind to the keyset's values, joined and sorted every
        # answer of the period for each chunk (4.6 s a chunk at 1M, against 60 ms). No JIT either:
        # its compiling cost more than a chunk's whole query. Both for this transaction only.
        with transaction.atomic(using=page.db), connections[page.db].cursor() as cursor:
            cursor.execute(
                "SELECT set_config('plan_cache_mode', 'force_custom_plan', true), set_config('jit', 'off', true)"
            )
            cursor.execute(
                f"""SELECT string_agg({line} || chr(13) || chr(10), '' ORDER BY r_at, r_id), count(*),
                        (array_agg(r_at ORDER BY r_at DESC, r_id DESC))[1],
                        (array_agg(r_id ORDER BY r_at DESC, r_id DESC))[1]
                    FROM (SELECT r_at, r_id, {safe}
                          FROM (SELECT t.r_at, t.r_id, {made} FROM ({inner}) t OFFSET 0) made OFFSET 0) safe""",
                params,
            )
            text, count, at, pk = cursor.fetchone()
        if not count:
            return
        yield text
        if count < LINE_CHUNK:
            return
        after = at, pk


def rows(filters):
    """The export's rows one by one (the XLSX export's way of reading them)."""
    for chunk in row_chunks(filters):
        yield from chunk


def _filename(filters, extension: str) -> str:
    return f'attachment; filename="responses-{filters.kind}-{filters.start}-{filters.end}.{extension}"'


def csv_pieces(filters, first_row: list[str], *, lines_by_database: bool):
    """The CSV export's body: one piece per chunk of rows, written into one reused buffer (a piece per
    row would cost the server a write, and the chunked encoding a frame, per row). The lines are made
    by PostgreSQL (_line_chunks) or by csv.writer (row_chunks): the same bytes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # so spreadsheet programs read UTF-8
    writer.writerow(first_row)
    if lines_by_database:
        for lines in read_ahead(_line_chunks(filters)):  # the next chunk read while this one is sent
            yield buffer.getvalue() + lines if buffer.tell() else lines
            buffer.seek(0)
            buffer.truncate()
    else:
        for chunk in row_chunks(filters):
            writer.writerows(chunk)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():  # no rows: the header alone
        yield buffer.getvalue()


def responses_csv(user, filters) -> StreamingHttpResponse:
    audit_log(actor=user, action="export.responses", data={"format": "csv", "filters": filters.as_query()})
    first_row = header()  # now, while the request's language is active (the stream runs later)
    on_postgresql = connections[_ordered(filters).db].vendor == "postgresql"
    response = StreamingHttpResponse(
        csv_pieces(filters, first_row, lines_by_database=on_postgresql), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = _filename(filters, "csv")
    return response


def responses_xlsx(user, filters) -> FileResponse:
    """openpyxl's write-only mode keeps rows on disk as it goes; the file is then streamed."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    audit_log(actor=user, action="export.responses", data={"format": "xlsx", "filters": filters.as_query()})
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Responses"))
    sheet.append(header())
    for row in rows(filters):
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text stays text, whatever it looks like
            cells.append(cell)
        sheet.append(cells)
    output = tempfile.TemporaryFile()  # noqa: SIM115
    workbook.save(output)
    output.seek(0)
    response = FileResponse(output, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = _filename(filters, "xlsx")
    return response


def breakdown_csv(user, filters, dimension: str) -> HttpResponse:
    """One breakdown table (by campaign, touchpoint, team, channel, language or a segment key)."""
    if dimension in queries.DIMENSIONS:
        table = queries.nps_by(filters, dimension)
    elif queries.valid_key(dimension):
        table = queries.nps_by_segment(filters, dimension)
    else:
        return HttpResponseBadRequest(
            _("Choose what to break down by: campaign, touchpoint, team, channel, language or a segment attribute."),
            content_type="text/plain",
        )
    audit_log(actor=user, action="export.breakdown", data={"by": dimension, "filters": filters.as_query()})
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            neutralise(str(COLUMN_LABELS.get(dimension, dimension))),
            *header(("n", "promoters", "passives", "detractors", "nps", "margin", "too_few")),
        ]
    )
    for row in table:
        r = row["result"]
        writer.writerow(
            [
                neutralise(str(row["label"])),
                r.n,
                r.promoters,
                r.passives,
                r.detractors,
                f"{r.nps:.2f}" if r.nps is not None else "",
                f"{r.margin:.2f}" if r.margin is not None else "",
                _("yes") if r.too_few else _("no"),
            ]
        )
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    name = slugify(dimension) or "segment"
    response["Content-Disposition"] = f'attachment; filename="nps-by-{name}-{filters.start}-{filters.end}.csv"'
    return response
