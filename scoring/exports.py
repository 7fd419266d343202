"""Exports of the filtered responses (CSV streamed, XLSX written row by row) and of breakdowns.
Every cell that a spreadsheet would run as a formula is neutralised."""

import csv
import io

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

from core.audit import audit_log
from scoring import queries
from surveys.models import Answer

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HEADER = ["submitted_at", "campaign", "kind", "touchpoint", "channel", "team", "language", "contact_email",
          "contact_name", "company", "plan", "region", "size", "score", "category", "comment", "driver_answers"]


def neutralise(value):
    """Prefix text that would start a formula with a quote, so spreadsheets show it as text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _rows(filters):
    qs = (queries.responses(filters, with_category=True, with_search=True)
          .select_related("campaign", "touchpoint", "team", "contact").order_by("submitted_at"))
    for chunk_start in range(0, 10 ** 9, 2000):
        chunk = list(qs[chunk_start:chunk_start + 2000])
        if not chunk:
            return
        answers = {}
        for a in Answer.objects.filter(response__in=[r.pk for r in chunk]).select_related("question"):
            value = a.number if a.number is not None else (", ".join(a.choices) if a.choices else a.text)
            answers.setdefault(a.response_id, []).append(f"{a.question.text}: {value}")
        for r in chunk:
            c = r.contact
            attrs = (c.attributes or {}) if c else {}
            yield [neutralise(v) for v in (
                timezone.localtime(r.submitted_at).strftime("%Y-%m-%d %H:%M"), r.campaign.name, r.kind,
                r.touchpoint.name if r.touchpoint else "", r.channel, r.team.name if r.team else "", r.language,
                c.email if c else "", c.name if c else "", c.company if c else "", attrs.get("plan", ""),
                attrs.get("region", ""), attrs.get("size", ""), r.score, r.category, r.comment,
                " | ".join(answers.get(r.pk, [])))]


class _Echo:
    def write(self, value):
        return value


def responses_csv(user, filters) -> StreamingHttpResponse:
    audit_log(actor=user, action="export.responses", data={"format": "csv", "filters": filters.as_query()})
    writer = csv.writer(_Echo())

    def stream():
        yield "\ufeff"  # so spreadsheet programs read UTF-8
        yield writer.writerow(HEADER)
        for row in _rows(filters):
            yield writer.writerow(row)

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="responses-{filters.start}-{filters.end}.csv"'
    return response


def responses_xlsx(user, filters) -> HttpResponse:
    from openpyxl import Workbook

    audit_log(actor=user, action="export.responses", data={"format": "xlsx", "filters": filters.as_query()})
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Responses")
    sheet.append(HEADER)
    for row in _rows(filters):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="responses-{filters.start}-{filters.end}.xlsx"'
    return response


def breakdown_csv(user, filters, dimension: str) -> HttpResponse:
    if dimension in queries.SEGMENT_KEYS:
        rows = queries.nps_by_segment(filters, dimension)
    else:
        rows = queries.nps_by(filters, dimension if dimension in queries.DIMENSIONS else "touchpoint")
    audit_log(actor=user, action="export.breakdown", data={"by": dimension, "filters": filters.as_query()})
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([dimension, "n", "promoters", "passives", "detractors", "nps", "margin"])
    for row in rows:
        r = row["result"]
        writer.writerow([neutralise(str(row["label"])), r.n, r.promoters, r.passives, r.detractors,
                         f"{r.nps:.2f}" if r.nps is not None else "", f"{r.margin:.2f}" if r.margin is not None else ""])
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="nps-by-{dimension}.csv"'
    return response
