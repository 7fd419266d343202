"""Exports: the filtered responses as CSV (streamed) and XLSX, the breakdown as CSV; every cell that
would start a spreadsheet formula neutralised; every export audit-logged."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import AuditLog
from scoring.exports import HEADER, neutralise
from tests.factories import (
    AnswerFactory,
    CampaignFactory,
    ContactFactory,
    QuestionFactory,
    ResponseFactory,
    TeamFactory,
    TouchpointFactory,
)

DANGEROUS = ['=HYPERLINK("http://evil")', "+1+2", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.fixture
def campaign(db):
    return CampaignFactory(
        name="Support",
        kind="transactional",
        touchpoint=TouchpointFactory(name="Support"),
        team=TeamFactory(name="Care"),
    )


@pytest.fixture
def evil(campaign):
    contact = ContactFactory(
        name="=cmd|' /C calc'!A0",
        email="bob@example.com",
        company="@Acme",
        attributes={"plan": "-pro", "region": "EU", "size": "+big"},
    )
    response = ResponseFactory(
        campaign=campaign,
        contact=contact,
        score=1,
        comment=DANGEROUS[0],
        submitted_at=timezone.now() - timedelta(days=1),
    )
    AnswerFactory(response=response, question=QuestionFactory(campaign=campaign, kind="csat", text="=Q"), number=2)
    for text in DANGEROUS[1:]:
        ResponseFactory(campaign=campaign, score=9, comment=text, submitted_at=timezone.now() - timedelta(days=2))
    ResponseFactory(campaign=campaign, score=10, comment="plain words", submitted_at=timezone.now() - timedelta(days=3))
    return response


@pytest.mark.parametrize(
    "value,expected",
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("\nx", "'\nx"),
        ("\uff1dSUM(A1)", "'\uff1dSUM(A1)"),  # full-width = + - @, evaluated by some spreadsheet locales
        ("\uff0b1", "'\uff0b1"),
        ("\uff0d2", "'\uff0d2"),
        ("\uff20cmd", "'\uff20cmd"),
        ("fine", "fine"),
        ("a=b", "a=b"),
        ("", ""),
        (7, 7),
        (None, None),
    ],
)
def test_it_neutralises_what_would_start_a_formula(value, expected):
    assert neutralise(value) == expected


def _csv(response) -> list[list[str]]:
    assert response.streaming
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def _starts_formula(cell) -> bool:
    return isinstance(cell, str) and cell.startswith(
        ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
    )


def test_the_csv_export_streams_neutralised_rows_and_is_audited(client, admin, evil):
    client.force_login(admin)
    response = client.get("/dashboard/export.csv?kind=transactional")
    assert response["Content-Type"].startswith("text/csv") and "attachment" in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0] == HEADER and len(rows) == 8
    assert not any(_starts_formula(cell) for row in rows for cell in row)
    assert rows[1][HEADER.index("comment")] == "plain words"  # oldest first
    first = dict(zip(HEADER, next(row for row in rows if row[HEADER.index("score")] == "1")))
    assert first["comment"] == '\'=HYPERLINK("http://evil")' and first["contact_name"] == "'=cmd|' /C calc'!A0"
    assert (first["company"], first["plan"], first["size"], first["region"]) == ("'@Acme", "'-pro", "'+big", "EU")
    assert (first["score"], first["category"], first["touchpoint"], first["team"]) == (
        "1",
        "detractor",
        "Support",
        "Care",
    )
    assert first["driver_answers"] == "'=Q: 2"
    assert {row[HEADER.index("comment")] for row in rows[1:]} >= {"'+1+2", "'-2+3", "'@SUM(A1)", "'\t=1", "plain words"}
    log = AuditLog.objects.get(action="export.responses", actor=admin)
    assert log.data["format"] == "csv" and "kind=transactional" in log.data["filters"]


def test_the_xlsx_export_keeps_every_cell_text(client, admin, evil):
    from openpyxl import load_workbook

    client.force_login(admin)
    response = client.get("/dashboard/export.xlsx?kind=transactional")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER and len(rows) == 8
    assert not any(_starts_formula(cell) for row in rows for cell in row)
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    comments = {row[HEADER.index("comment")] for row in rows[1:]}
    assert '\'=HYPERLINK("http://evil")' in comments and "'-2+3" in comments
    assert AuditLog.objects.filter(action="export.responses", data__format="xlsx").exists()


def test_the_export_follows_the_filters(client, admin, evil, campaign):
    ResponseFactory(campaign=CampaignFactory(kind="relational"), score=5, comment="relational one")
    client.force_login(admin)
    rows = _csv(client.get("/dashboard/export.csv?kind=transactional&category=detractor"))
    assert len(rows) == 2 and rows[1][HEADER.index("score")] == "1"
    rows = _csv(client.get("/dashboard/export.csv?kind=relational"))
    assert [row[HEADER.index("comment")] for row in rows[1:]] == ["relational one"]
    rows = _csv(client.get("/dashboard/export.csv?kind=transactional&q=plain"))
    assert [row[HEADER.index("comment")] for row in rows[1:]] == ["plain words"]
    assert client.get("/dashboard/export.csv?kind=transactional&period=bogus&team=x").status_code == 200


def test_the_breakdown_csv(client, viewer, evil, campaign):
    client.force_login(viewer)
    response = client.get("/dashboard/breakdown.csv?kind=transactional&by=touchpoint")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["touchpoint", "n", "promoters", "passives", "detractors", "nps", "margin", "too_few"]
    assert rows[1][:6] == ["Support", "7", "6", "0", "1", "71.43"] and rows[1][7] == "yes"
    rows = list(
        csv.reader(
            io.StringIO(client.get("/dashboard/breakdown.csv?kind=transactional&by=plan").content.decode("utf-8-sig"))
        )
    )
    assert rows[2][:2] == ["'-pro", "1"] or rows[1][:2] == ["'-pro", "1"]
    assert AuditLog.objects.filter(action="export.breakdown", data__by="plan").exists()


def test_a_bad_breakdown_is_a_400(client, viewer, db):
    client.force_login(viewer)
    response = client.get("/dashboard/breakdown.csv?by=%00")
    assert response.status_code == 400 and b"Choose what to break down by" in response.content
    response = client.get("/dashboard/breakdown.csv?by==cmd%22%0D")  # a CR is not printable either
    assert response.status_code == 400


def test_an_odd_segment_name_is_neutralised_in_the_breakdown(client, viewer, db):
    client.force_login(viewer)
    response = client.get("/dashboard/breakdown.csv?by=%3DHYPERLINK(1)")
    assert response.status_code == 200 and 'filename="nps-by-hyperlink1-' in response["Content-Disposition"]
    assert response.content.decode("utf-8-sig").startswith("'=HYPERLINK(1),n,")


def test_exports_need_the_viewer_role(client, outsider, db):
    client.force_login(outsider)
    assert client.get("/dashboard/export.csv").status_code == 403
    assert client.get("/dashboard/export.xlsx").status_code == 403


def test_the_csv_export_streams_in_bounded_chunks_with_a_query_or_two_per_chunk(client, admin, campaign, monkeypatch):
    """Constant memory: the body comes in one piece per CHUNK rows (LINE_CHUNK on PostgreSQL), each
    read by one query (on PostgreSQL, which writes the lines and their driver answers) or by one for
    the responses and one for their driver answers (SQLite), however many rows there are; answers
    given at the same moment are neither skipped nor repeated where a chunk ends (keyset on time,
    then id)."""
    from django.db import connection
    from django.http import StreamingHttpResponse
    from django.test.utils import CaptureQueriesContext

    from scoring import exports

    monkeypatch.setattr(exports, "CHUNK", 3)
    monkeypatch.setattr(exports, "LINE_CHUNK", 3)
    moment = timezone.now() - timedelta(days=1)
    question = QuestionFactory(campaign=campaign, kind="csat", text="Speed")
    made = [ResponseFactory(campaign=campaign, score=i, comment=f"c{i}", submitted_at=moment) for i in range(7)]
    made.append(ResponseFactory(campaign=campaign, score=9, comment="later", submitted_at=moment + timedelta(hours=1)))
    for response in made[::2]:
        AnswerFactory(response=response, question=question, number=4)
    client.force_login(admin)
    response = client.get("/dashboard/export.csv?kind=transactional")
    assert isinstance(response, StreamingHttpResponse)
    with CaptureQueriesContext(connection) as queries:
        pieces = [piece.decode("utf-8-sig") for piece in response.streaming_content]
    assert [len(list(csv.reader(io.StringIO(piece)))) for piece in pieces] == [1 + 3, 3, 2]  # header + rows
    reads = [query for query in queries if "surveys_" in query["sql"]]  # not the settings or savepoints
    assert len(reads) == (1 if connection.vendor == "postgresql" else 2) * len(pieces)
    rows = list(csv.reader(io.StringIO("".join(pieces))))
    assert [row[HEADER.index("comment")] for row in rows[1:]] == [*(f"c{i}" for i in range(7)), "later"]
    assert [row[HEADER.index("driver_answers")] for row in rows[1:5]] == ["Speed: 4", "", "Speed: 4", ""]


def test_the_export_keeps_to_the_readers_teams(campaign):
    """The rows come from the filters' scope (core.roles.answer_teams), not only from the query string."""
    from scoring.exports import rows
    from scoring.filters import Filters

    other = CampaignFactory(kind="transactional", team=TeamFactory(name="Elsewhere"))
    ResponseFactory(campaign=campaign, score=8, comment="ours", submitted_at=timezone.now() - timedelta(days=1))
    ResponseFactory(campaign=other, score=8, comment="theirs", submitted_at=timezone.now() - timedelta(days=1))
    today = timezone.localdate()
    scoped = Filters(start=today - timedelta(days=30), end=today, kind="transactional", teams=(campaign.team_id,))
    assert [row[HEADER.index("comment")] for row in rows(scoped)] == ["ours"]
    assert len(list(rows(Filters(start=scoped.start, end=today, kind="transactional")))) == 2
    assert list(rows(Filters(start=scoped.start, end=today, kind="transactional", teams=()))) == []


AWKWARD = [
    'comma, "quotes" and\nnewline',
    "cr\r\nlf",
    "=1+2",
    "\uff1dfull-width",
    "-",
    "'already quoted",
    "ünïcødé ✓ 😀",
    "",
    ' "',
    "\t=tab",
    "trailing,",
]


def test_the_database_writes_the_same_csv_as_python(campaign, monkeypatch):
    """PostgreSQL makes the CSV lines itself (exports._line_chunks); byte for byte they are what
    csv.writer makes of the same rows: quoting of commas, quotes, CR and LF, formula neutralising,
    unicode, empty and missing values (no contact, no touchpoint or team), numbers among the
    attributes, driver answers of every kind, the reader's time zone, and chunk boundaries."""
    from django.db import connection

    from scoring import exports
    from scoring.filters import Filters

    if connection.vendor != "postgresql":
        pytest.skip("the lines are made by the database on PostgreSQL only")
    monkeypatch.setattr(exports, "CHUNK", 4)
    monkeypatch.setattr(exports, "LINE_CHUNK", 4)
    bare = CampaignFactory(name='+bare, "campaign"', kind="transactional", touchpoint=None, team=None)
    questions = [
        QuestionFactory(campaign=campaign, kind="csat", text='Speed, "really"', order=2),
        QuestionFactory(campaign=campaign, kind="choice", text="=Pick", order=1),
        QuestionFactory(campaign=campaign, kind="text", text="Why\nnot", order=1),
    ]
    moment = timezone.now().replace(second=59, microsecond=999999) - timedelta(days=2)
    for i, value in enumerate(AWKWARD):
        contact = ContactFactory(
            name=value,
            email=f"{value}@example.com" if value else "",
            company=AWKWARD[-1 - i],
            attributes={"plan": value, "region": i, "size": None} if i % 3 else {"other": "x"},
        )
        response = ResponseFactory(
            campaign=bare if i % 4 == 0 else campaign,
            contact=contact,
            score=i % 11,
            comment=value,
            submitted_at=moment + timedelta(minutes=37 * i) if i % 5 else moment,  # same instants too
        )
        if i % 2:
            AnswerFactory(response=response, question=questions[0], number=i % 5 + 1)
            AnswerFactory(response=response, question=questions[1], choices=[value, "b, c", 3, 1.5, True, None])
            AnswerFactory(response=response, question=questions[2], text=value)
        elif i % 3 == 0:
            AnswerFactory(response=response, question=questions[2], text="")
            AnswerFactory(response=response, question=questions[1], choices=[])
    ResponseFactory(campaign=bare, contact=None, score=7, comment="no contact", submitted_at=moment)
    today = timezone.localdate()
    filters = Filters(start=today - timedelta(days=30), end=today, kind="transactional")
    for zone in ("UTC", "Asia/Kolkata", "America/St_Johns", "Europe/Amsterdam"):
        with timezone.override(zone):
            first_row = exports.header()
            by_database = "".join(exports.csv_pieces(filters, first_row, lines_by_database=True))
            by_python = "".join(exports.csv_pieces(filters, first_row, lines_by_database=False))
        assert by_database == by_python
        assert len(list(csv.reader(io.StringIO(by_python)))) == 1 + len(AWKWARD) + 1
