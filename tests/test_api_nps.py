"""The NPS summary of the API is the dashboard's: same filters, same queries, same numbers."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.api_fixtures import api, api_as, token_for  # noqa: F401
from tests.factories import CampaignFactory, ContactFactory, ResponseFactory, TeamFactory, TouchpointFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(db):
    """Support (team Care): 10, 10, 9, 7, 3 → +40; Billing (team Money): 2, 5, 9 → −33; one relational
    10; answers 100 days ago for the previous period; a 0 from 400 days ago."""
    care, money = TeamFactory(name="Care"), TeamFactory(name="Money")
    support = CampaignFactory(kind="transactional", touchpoint=TouchpointFactory(name="Support"), team=care)
    billing = CampaignFactory(kind="transactional", touchpoint=TouchpointFactory(name="Billing"), team=money)
    relational = CampaignFactory(kind="relational", touchpoint=TouchpointFactory(name="Renewal"))
    pro, starter = ContactFactory(attributes={"plan": "pro"}), ContactFactory(attributes={"plan": "starter"})
    now = timezone.now()
    for score, contact in ((10, pro), (10, pro), (9, starter), (7, starter), (3, starter)):
        ResponseFactory(campaign=support, score=score, contact=contact, submitted_at=now - timedelta(days=3))
    for score in (2, 5, 9):
        ResponseFactory(campaign=billing, score=score, contact=pro, submitted_at=now - timedelta(days=10))
    for score in (6, 9):
        ResponseFactory(campaign=support, score=score, contact=pro, submitted_at=now - timedelta(days=100))
    ResponseFactory(campaign=relational, score=10, submitted_at=now - timedelta(days=1))
    ResponseFactory(campaign=support, score=0, submitted_at=now - timedelta(days=400))
    return {"support": support, "care": care, "money": money}


def _queries(data):
    today = timezone.localdate()
    return [
        "",
        "kind=transactional",
        "kind=all",
        f"kind=transactional&team={data['care'].pk}",
        f"kind=transactional&touchpoint={data['support'].touchpoint_id}",
        f"kind=transactional&campaign={data['support'].pk}",
        "kind=transactional&period=30d",
        "kind=all&period=365d",
        "kind=transactional&segment=plan=pro",
        "kind=transactional&channel=email&language=en",
        f"kind=transactional&period=custom&start={(today - timedelta(days=5)).isoformat()}&end={today.isoformat()}",
    ]


def test_the_summary_equals_the_dashboard_for_every_filter_set(api, client, viewer, data):
    client.force_login(viewer)
    for query in _queries(data):
        dashboard = client.get(f"/dashboard/?{query}").context["summary"]
        response = api.get(f"/api/nps/summary/?{query}")
        assert response.status_code == 200, (query, response.json())
        body = response.json()
        for period, expected in (("current", dashboard.current), ("previous", dashboard.previous)):
            got = body[period]
            assert (got["n"], got["promoters"], got["passives"], got["detractors"]) == (
                expected.n,
                expected.promoters,
                expected.passives,
                expected.detractors,
            ), (query, period)
            assert got["nps"] == expected.nps and got["nps_rounded"] == expected.nps_display
            assert got["margin"] == expected.margin and got["too_few"] == expected.too_few
        assert body["delta"] == dashboard.delta and body["significant"] == dashboard.significant


def test_the_numbers_themselves(api, data):
    body = api.get("/api/nps/summary/?kind=transactional").json()
    current = body["current"]
    assert (current["n"], current["promoters"], current["passives"], current["detractors"]) == (8, 4, 1, 3)
    assert current["nps"] == pytest.approx(12.5) and current["nps_rounded"] == 13 and current["too_few"] is True
    assert body["previous"]["n"] == 2 and body["previous"]["nps"] == 0.0
    assert body["delta"] == pytest.approx(12.5)
    assert body["kind"] == "transactional"
    assert body["end"] == timezone.localdate().isoformat()


def test_no_answers_give_nulls_not_errors(api, db):
    body = api.get("/api/nps/summary/").json()
    assert body["current"]["n"] == 0 and body["current"]["nps"] is None and body["current"]["margin"] is None
    assert body["delta"] is None and body["significant"] is False


@pytest.mark.parametrize(
    "query,field",
    [
        ("period=7d", "period"),
        ("kind=weekly", "kind"),
        ("team=abc", "team"),
        ("channel=fax", "channel"),
        ("language=fr", "language"),
        ("segment=plan", "segment"),
        ("segment==pro", "segment"),
        ("period=custom", "start"),
        ("start=2026-01-01", "period"),
        ("period=custom&start=2026-02-01&end=2026-01-01", "end"),
        ("period=custom&start=2000-01-01&end=2026-01-01", "end"),
        ("period=custom&start=0001-01-01&end=0001-01-02", "start"),
        ("period=custom&start=2026-13-01&end=2026-12-31", "start"),
        ("category=detractor", "category"),
        ("cursor=abc", "cursor"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(api, db, query, field):
    response = api.get(f"/api/nps/summary/?{query}")
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
