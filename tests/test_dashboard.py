"""Breakdowns against a hand-built data set; the dashboard for each role and filter; exports."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import AuditLog
from scoring import queries
from scoring.exports import neutralise
from surveys.models import Campaign
from tests.factories import CampaignFactory, ContactFactory, ResponseFactory, TeamFactory, TouchpointFactory


@pytest.fixture
def data(db):
    """Support (team Care): scores 10, 10, 9, 7, 3 → 3P 1Pa 1D = +40. Billing: 2, 5, 9 → 1P 2D = −33.3.
    A relational answer (10) and an answer from 200 days ago (0) must stay out of the default view."""
    care, money = TeamFactory(name="Care"), TeamFactory(name="Money")
    support = CampaignFactory(kind="transactional", touchpoint=TouchpointFactory(name="Support"), team=care)
    billing = CampaignFactory(kind="transactional", touchpoint=TouchpointFactory(name="Billing"), team=money)
    relational = CampaignFactory(kind="relational", touchpoint=TouchpointFactory(name="Renewal"))
    pro, starter = ContactFactory(attributes={"plan": "pro"}), ContactFactory(attributes={"plan": "starter"})
    now = timezone.now()
    for score, contact in ((10, pro), (10, pro), (9, starter), (7, starter), (3, starter)):
        ResponseFactory(campaign=support, score=score, contact=contact, submitted_at=now - timedelta(days=3))
    for score in (2, 5, 9):
        ResponseFactory(campaign=billing, score=score, contact=pro, submitted_at=now - timedelta(days=10),
                        comment=f"Billing said {score}")
    ResponseFactory(campaign=relational, score=10, submitted_at=now - timedelta(days=1))
    ResponseFactory(campaign=support, score=0, submitted_at=now - timedelta(days=200))
    return {"support": support, "billing": billing, "care": care}


def _filters(**params):
    return queries.parse_filters({"kind": "transactional", "period": "90d", **params})


def test_the_summary_keeps_relational_and_transactional_apart(data):
    transactional = queries.nps_summary(_filters()).current
    assert (transactional.n, transactional.promoters, transactional.passives, transactional.detractors) == (8, 4, 1, 3)
    assert transactional.nps == pytest.approx(12.5)
    relational = queries.nps_summary(_filters(kind="relational")).current
    assert relational.n == 1 and relational.nps == 100


def test_breakdown_by_touchpoint_and_team(data):
    rows = {r["label"]: r["result"] for r in queries.nps_by(_filters(), "touchpoint")}
    assert rows["Support"].nps == pytest.approx(40.0) and rows["Support"].n == 5
    assert rows["Billing"].nps == pytest.approx(-100 / 3)
    teams = {r["label"]: r["result"].n for r in queries.nps_by(_filters(), "team")}
    assert teams == {"Care": 5, "Money": 3}


def test_breakdown_by_segment_attribute(data):
    rows = {r["label"]: r["result"] for r in queries.nps_by_segment(_filters(), "plan")}
    assert rows["pro"].n == 5 and rows["pro"].nps == pytest.approx(20.0)  # 10, 10, 2, 5, 9 → 3P 2D
    assert rows["starter"].nps == 0  # 9, 7, 3


def test_the_segment_filter_and_the_distribution(data):
    assert queries.score_distribution(_filters(segment="plan=starter")) == [0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0]


def test_weekly_buckets_add_up(data):
    rows = queries.nps_by_period(_filters(), "week")
    assert sum(r["result"].n for r in rows) == 8


def test_the_previous_period_is_compared(data):
    change = queries.nps_summary(_filters(period="custom", start=str((timezone.localdate() - timedelta(days=5))),
                                          end=str(timezone.localdate())))
    assert change.current.n == 5 and change.previous.n == 3
    assert change.delta == pytest.approx(40 + 100 / 3)
    assert not change.significant  # far too few answers to call it


@pytest.mark.parametrize("persona", ["viewer", "agent", "admin"])
def test_every_role_from_viewer_up_sees_the_dashboard(client, personas, data, persona):
    client.force_login(personas[persona])
    response = client.get("/dashboard/?kind=transactional")
    assert response.status_code == 200
    assert response.context["summary"].current.n == 8


def test_outsiders_do_not(client, outsider):
    client.force_login(outsider)
    assert client.get("/dashboard/").status_code == 403


@pytest.mark.parametrize("params", ["period=30d", "period=365d", "period=custom&start=2026-01-01&end=2026-02-01",
                                    "campaign=1", "touchpoint=1", "team=1", "segment=plan=pro", "kind=relational",
                                    "kind=all", "period=nonsense", "campaign=abc", "segment=%27;drop",
                                    "period=custom&start=2026-13-45&end=x", "by=region&sort=nps"])
def test_each_filter_renders_and_bad_values_never_500(client, viewer, data, params):
    client.force_login(viewer)
    assert client.get(f"/dashboard/?{params}").status_code == 200


def test_htmx_gets_only_the_body(client, viewer, data):
    client.force_login(viewer)
    response = client.get("/dashboard/?kind=transactional", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html and "trend-data" in html


def test_the_query_count_does_not_grow_with_the_data(client, viewer, data, django_assert_max_num_queries):
    client.force_login(viewer)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get("/dashboard/?kind=transactional")
    for i in range(150):
        ResponseFactory(campaign=data["support"], score=i % 11, comment=f"c{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/dashboard/?kind=transactional")


def test_comments_are_escaped_and_searchable(client, viewer, data):
    ResponseFactory(campaign=data["support"], score=1, comment="<img src=x onerror=alert(1)> slow")
    client.force_login(viewer)
    html = client.get("/dashboard/comments/?kind=transactional&q=slow").content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img src=x" not in html
    html = client.get("/dashboard/?kind=transactional").content.decode()
    assert "<img src=x" not in html


@pytest.mark.parametrize("value,expected", [("=SUM(A1)", "'=SUM(A1)"), ("+1", "'+1"), ("-2", "'-2"),
                                            ("@cmd", "'@cmd"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("fine", "fine"),
                                            (7, 7)])
def test_formula_cells_are_neutralised(value, expected):
    assert neutralise(value) == expected


def test_the_csv_export_neutralises_and_is_audited(client, viewer, data):
    ResponseFactory(campaign=data["support"], score=1, comment="=HYPERLINK(\"http://evil\")",
                    contact=ContactFactory(name="@Bob"))
    client.force_login(viewer)
    response = client.get("/dashboard/export.csv?kind=transactional")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][0] == "submitted_at" and len(rows) == 10
    assert any(row[15] == "'=HYPERLINK(\"http://evil\")" for row in rows)
    assert any(row[8] == "'@Bob" for row in rows)
    assert AuditLog.objects.filter(action="export.responses", actor=viewer).exists()


def test_the_xlsx_export_neutralises(client, viewer, data):
    from openpyxl import load_workbook

    ResponseFactory(campaign=data["support"], score=1, comment="-1+2")
    client.force_login(viewer)
    response = client.get("/dashboard/export.xlsx?kind=transactional")
    sheet = load_workbook(io.BytesIO(response.content)).active
    comments = [row[15] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "'-1+2" in comments


def test_the_breakdown_csv(client, viewer, data):
    client.force_login(viewer)
    body = client.get("/dashboard/breakdown.csv?kind=transactional&by=touchpoint").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["touchpoint", "n", "promoters", "passives", "detractors", "nps", "margin"]
    assert ["Support", "5", "3", "1", "1", "40.00"] == rows[2][:6] or ["Support", "5", "3", "1", "1", "40.00"] == rows[1][:6]


def test_at_risk_finds_a_drop(data):
    contact = ContactFactory()
    ResponseFactory(campaign=data["support"], contact=contact, score=10, submitted_at=timezone.now() - timedelta(days=60))
    ResponseFactory(campaign=data["support"], contact=contact, score=6, submitted_at=timezone.now() - timedelta(days=2))
    risky = queries.at_risk(_filters())
    assert [r.contact_id for r in risky] == [contact.pk]
    assert risky[0].prev_score == 10 and risky[0].dropped_category


def test_a_team_target_without_answers_in_the_view_renders(client, viewer, data):
    data["care"].nps_target = 40
    data["care"].save()
    client.force_login(viewer)
    response = client.get("/dashboard/?kind=relational")
    assert response.status_code == 200
    assert "Care: no answers of target +40" in response.content.decode()


def test_detractor_recovery_counts_those_who_moved_up(db):
    from followups.queries import detractor_recovery

    up, stuck, once = ContactFactory(), ContactFactory(), ContactFactory()
    now = timezone.now()
    for contact, later in ((up, 9), (stuck, 4)):
        ResponseFactory(contact=contact, score=2, submitted_at=now - timedelta(days=30))
        ResponseFactory(contact=contact, score=later, submitted_at=now - timedelta(days=5))
    ResponseFactory(contact=once, score=1, submitted_at=now - timedelta(days=20))
    row = detractor_recovery(since=now - timedelta(days=40), until=now - timedelta(days=10))
    assert (row["detractors"], row["resurveyed"], row["moved_up"], row["share"]) == (3, 2, 1, 0.5)
