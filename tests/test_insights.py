"""Driver areas, how customers move, and the journey (#23.3–5), against hand computations."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from followups.models import FollowUp
from scoring.driver_areas import driver_areas
from scoring.filters import parse_filters
from scoring.journey import journey
from scoring.movement import movement
from surveys.models import Campaign
from surveys.touchpoints import touchpoint_move
from tests.factories import (
    AnswerFactory,
    CampaignFactory,
    ContactFactory,
    FollowUpFactory,
    QuestionFactory,
    ResponseFactory,
    TeamFactory,
    TouchpointFactory,
)


def _ago(days: int):
    return timezone.now() - timedelta(days=days)


# --- Movement --------------------------------------------------------------------------------
def test_the_transition_matrix_of_a_known_sequence(db):
    """Three customers, relational answers in order (the first of each before the period):
    A: 3 → 8 → 9 (detractor → passive → promoter), B: 8 → 5 (passive slides), C: 9 → 10 → 2."""
    team = TeamFactory(name="Care")
    relational = CampaignFactory(kind=Campaign.Kind.RELATIONAL, team=team)
    second = CampaignFactory(kind=Campaign.Kind.RELATIONAL, team=team)  # the same relational series
    a, b, c = ContactFactory(), ContactFactory(), ContactFactory()
    for contact, scores in ((a, [3, 8, 9]), (b, [8, 5]), (c, [9, 10, 2])):
        for i, score in enumerate(scores):
            campaign = relational if i % 2 == 0 else second
            ResponseFactory(campaign=campaign, contact=contact, score=score, submitted_at=_ago(100 - 30 * i))
    ResponseFactory(campaign=relational, score=0, contact=None, submitted_at=_ago(5))  # anonymous: no series
    report = movement(parse_filters({"period": "90d"}))
    rows = {row["from"]: [cell["n"] for cell in row["cells"]] for row in report["overall"]["rows"]}
    # Moves with the later answer in the last 90 days: A 3→8 (day 70), 8→9 (40); B 8→5 (70); C 9→10 (70), 10→2 (40).
    assert rows == {"detractor": [0, 1, 0], "passive": [1, 0, 1], "promoter": [1, 0, 1]}
    passive = next(r for r in report["overall"]["rows"] if r["from"] == "passive")
    assert [cell["share"] for cell in passive["cells"]] == [0.5, 0.0, 0.5]
    assert (report["overall"]["rose"], report["overall"]["slid"], report["overall"]["total"]) == (2, 2, 5)
    assert [t["team"] for t in report["by_team"]] == ["Care"]
    # 30 days: only the moves whose later answer is within 30 days (none: day 40 is outside).
    assert movement(parse_filters({"period": "30d"}))["overall"]["total"] == 0


def test_transactional_answers_move_within_their_campaign(db):
    support, billing = CampaignFactory(kind="transactional"), CampaignFactory(kind="transactional")
    contact = ContactFactory()
    ResponseFactory(campaign=support, contact=contact, score=2, submitted_at=_ago(20))
    ResponseFactory(campaign=billing, contact=contact, score=9, submitted_at=_ago(10))  # another series
    ResponseFactory(campaign=support, contact=contact, score=7, submitted_at=_ago(5))
    report = movement(parse_filters({"kind": "transactional", "period": "30d"}))
    assert report["overall"]["total"] == 1
    assert report["overall"]["rows"][0]["cells"][1]["n"] == 1  # detractor → passive in support


def test_resolved_detractors_moving_up_against_those_without_a_case(db):
    campaign = CampaignFactory(kind="relational")
    for i, (later, status) in enumerate([(9, "resolved"), (8, "resolved"), (3, "resolved"), (2, None), (8, None)]):
        contact = ContactFactory()
        first = ResponseFactory(campaign=campaign, contact=contact, score=1, submitted_at=_ago(60 + i))
        if status:
            FollowUpFactory(response=first, status=status)
        ResponseFactory(campaign=campaign, contact=contact, score=later, submitted_at=_ago(10))
    loop = movement(parse_filters({}))["loop"]
    assert (loop["resolved"]["n"], loop["resolved"]["up"]) == (3, 2)
    assert (loop["none"]["n"], loop["none"]["up"]) == (2, 1)
    assert loop["resolved"]["share"] == pytest.approx(2 / 3)
    assert FollowUp.objects.count() == 3


# --- Journey ---------------------------------------------------------------------------------
def test_the_journey_follows_the_admins_order_and_marks_the_weakest_step(db, admin, settings):
    settings.KRINGLOOP = {**settings.KRINGLOOP, "MIN_RESPONSES": 3}
    sales, support, billing = (TouchpointFactory(name=n) for n in ("Sales", "Support", "Billing"))
    touchpoint_move(actor=admin, touchpoint_id=billing.pk, position=1)
    for touchpoint, scores in ((sales, [9, 9, 10, 7]), (support, [2, 3, 9, 8]), (billing, [0, 1])):
        campaign = CampaignFactory(kind="transactional", touchpoint=touchpoint)
        for score in scores:
            ResponseFactory(campaign=campaign, score=score, submitted_at=_ago(3))
    ResponseFactory(campaign=CampaignFactory(kind="transactional", touchpoint=sales), score=3, submitted_at=_ago(100))
    for score in (10, 9, 6):
        ResponseFactory(campaign=CampaignFactory(kind="relational"), score=score, submitted_at=_ago(2))
    report = journey(parse_filters({}))
    names = [str(step["touchpoint"]) for step in report["steps"]]
    assert names.index("Billing") < names.index("Sales") < names.index("Support")
    steps = {str(step["touchpoint"]): step for step in report["steps"]}
    assert steps["Sales"]["change"].current.nps == pytest.approx(75)
    assert steps["Sales"]["change"].previous.nps == pytest.approx(-100)  # the 90 days before
    assert steps["Support"]["weakest"] and not steps["Billing"]["weakest"]  # Billing has too few answers
    assert report["relational"].current.nps == pytest.approx(100 / 3)


# --- Driver areas ----------------------------------------------------------------------------
def test_driver_areas_average_importance_and_nps_low_vs_high(db):
    campaign = CampaignFactory()
    process = QuestionFactory(campaign=campaign, kind="csat", driver="process")
    price = QuestionFactory(campaign=campaign, kind="effort", driver="price")
    # Process tracks the score closely; price barely.
    for score, csat, effort in ((10, 5, 6), (9, 5, 7), (8, 4, 6), (6, 2, 7), (3, 1, 6), (1, 1, 7)):
        response = ResponseFactory(campaign=campaign, score=score)
        AnswerFactory(response=response, question=process, number=csat)
        AnswerFactory(response=response, question=price, number=effort)
    report = driver_areas(parse_filters({}))
    areas = {row["key"]: row for row in report["areas"]}
    assert areas["process"]["performance"] == pytest.approx((100 + 100 + 75 + 25 + 0 + 0) / 6)
    assert areas["product_price"]["performance"] == pytest.approx(
        sum((e - 1) / 6 * 100 for e in (6, 7, 6, 7, 6, 7)) / 6
    )
    assert areas["process"]["correlation"] > 0.9 and abs(areas["product_price"]["correlation"]) < 0.5
    assert areas["process"]["importance"] + areas["product_price"]["importance"] == pytest.approx(100)
    # Process low (1–2): scores 6, 3, 1 → NPS −100; high (4–5): 10, 9, 8 → 2 promoters of 3 = +66.7.
    assert areas["process"]["low"].nps == pytest.approx(-100)
    assert areas["process"]["high"].nps == pytest.approx(200 / 3)
    # Process matters more and performs worse: the area to fix first.
    assert (areas["process"]["quadrant"], areas["product_price"]["quadrant"]) == ("fix", "maintain")
    assert report["fix_first"]["key"] == "process"


def test_the_report_pages_render_for_a_viewer(db, viewer, client):
    client.force_login(viewer)
    for name in ("scoring:driver_areas", "scoring:movement", "scoring:journey", "scoring:theme_report"):
        assert client.get(reverse(name), {"period": "365d", "kind": "all"}).status_code == 200, name
