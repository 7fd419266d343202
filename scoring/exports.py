"""Exports of the filtered responses (CSV streamed, XLSX written row by row to a temporary file)
and of breakdowns. Every cell that a spreadsheet would run as a formula is neutralised."""

import csv
import io
import tempfile

from django.http import FileResponse, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from core.audit import audit_log
from scoring import queries
from surveys.models import Answer

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


def _chunks(iterable, size):
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _driver_answers(response_ids) -> dict[int, str]:
    answers: dict[int, list] = {}
    for a in (
        Answer.objects.filter(response_id__in=response_ids)
        .select_related("question")
        .order_by("question__order", "question_id")
    ):
        value = a.number if a.number is not None else (", ".join(map(str, a.choices)) if a.choices else a.text)
        answers.setdefault(a.response_id, []).append(f"{a.question.text}: {value}")
    return {pk: " | ".join(parts) for pk, parts in answers.items()}


def rows(filters):
    """The export's rows, neutralised. The responses are read with a server-side cursor and their
    driver answers fetched once per chunk, so memory stays flat however many rows there are."""
    qs = (
        queries.responses(filters, with_category=True, with_search=True)
        .select_related("campaign", "touchpoint", "team", "contact")
        .order_by("submitted_at", "id")
    )
    for chunk in _chunks(qs.iterator(chunk_size=CHUNK), CHUNK):
        drivers = _driver_answers([r.pk for r in chunk])
        for r in chunk:
            c = r.contact
            attrs = c.attributes if c is not None and isinstance(c.attributes, dict) else {}
            yield [
                neutralise(v)
                for v in (
                    timezone.localtime(r.submitted_at).strftime("%Y-%m-%d %H:%M"),
                    r.campaign.name,
                    r.kind,
                    r.touchpoint.name if r.touchpoint else "",
                    r.channel,
                    r.team.name if r.team else "",
                    r.language,
                    c.email if c else "",
                    c.name if c else "",
                    c.company if c else "",
                    *(str(attrs.get(key, "")) for key in SEGMENT_COLUMNS),
                    r.score,
                    r.category,
                    r.comment,
                    drivers.get(r.pk, ""),
                )
            ]


class _Echo:
    def write(self, value):
        return value


def _filename(filters, extension: str) -> str:
    return f'attachment; filename="responses-{filters.kind}-{filters.start}-{filters.end}.{extension}"'


def responses_csv(user, filters) -> StreamingHttpResponse:
    audit_log(actor=user, action="export.responses", data={"format": "csv", "filters": filters.as_query()})
    writer = csv.writer(_Echo())
    first_row = header()  # now, while the request's language is active (the stream runs later)

    def stream():
        yield "\ufeff"  # so spreadsheet programs read UTF-8
        yield writer.writerow(first_row)
        for row in rows(filters):
            yield writer.writerow(row)

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
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
