"""The rollups answer exactly what the raw responses answer, and follow every kind of change."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from scoring import queries
from scoring.changes import LATE_COMMIT_MARGIN
from scoring.models import DailyScore, DailySegmentScore, LatestScore, RollupState
from scoring.rollup import refresh_rollup
from surveys.models import Response
from tests.factories import (
    AnswerFactory,
    CampaignFactory,
    ContactFactory,
    QuestionFactory,
    ResponseFactory,
    TouchpointFactory,
)


def _raw(filters):
    """The same filters through the live path: a segment without a rollup that every contact has."""
    return queries.Filters(**{**filters.__dict__, "segment_key": "tier", "segment_value": "all"})


def _panels(filters, segment_key="plan"):
    return {
        "summary": (queries.nps_summary(filters).current, queries.nps_summary(filters).previous),
        "distribution": queries.score_distribution(filters),
        "months": [(r["period"], r["result"]) for r in queries.nps_by_period(filters, "month")],
        "touchpoints": [(r["label"], r["result"]) for r in queries.nps_by(filters, "touchpoint")],
        "segments": [(r["label"], r["result"]) for r in queries.nps_by_segment(filters, segment_key)],
        "drivers": [
            (d["question"].pk, d["average"], [(a["label"], a["result"]) for a in d["answers"]])
            for d in queries.driver_results(filters)
        ],
    }


@pytest.fixture
def random_answers(db):
    rng = random.Random(3)
    campaigns = [
        CampaignFactory(kind=k, touchpoint=TouchpointFactory(name=n))
        for k, n in (("transactional", "Support"), ("transactional", "Billing"), ("relational", "Renewal"))
    ]
    questions = [
        QuestionFactory(campaign=campaigns[0], kind="csat"),
        QuestionFactory(campaign=campaigns[0], kind="multiple", choices=["a", "b", "c"]),
    ]
    contacts = [ContactFactory(attributes={"plan": rng.choice(["pro", "free"]), "tier": "all"}) for _ in range(40)]
    now = timezone.now()
    for _ in range(300):
        campaign = rng.choice(campaigns)
        response = ResponseFactory(
            campaign=campaign,
            score=rng.randint(0, 10),
            contact=rng.choice(contacts),
            submitted_at=now - timedelta(days=rng.randint(0, 200), hours=rng.randint(0, 23)),
        )
        if campaign == campaigns[0]:
            AnswerFactory(response=response, question=questions[0], number=rng.randint(1, 5))
            AnswerFactory(response=response, question=questions[1], choices=rng.sample(["a", "b", "c"], 2))
    refresh_rollup()  # as the worker does
    return campaigns


@pytest.mark.parametrize("kind", ["transactional", "relational", "all"])
def test_rollup_and_raw_agree_on_every_panel(random_answers, kind):
    filters = queries.parse_filters({"kind": kind, "period": "365d"})
    assert queries.uses_rollup(filters) and not queries.uses_rollup(_raw(filters))
    assert _panels(filters) == _panels(_raw(filters))


def test_rollup_and_raw_agree_under_a_segment_filter(random_answers):
    filters = queries.parse_filters({"kind": "transactional", "period": "365d", "segment": "plan=pro"})
    live = queries.parse_filters({"kind": "transactional", "period": "365d", "segment": "tier=all"})
    assert queries.nps_summary(filters).current.n < queries.nps_summary(live).current.n
    # plan=pro through the segment rollup equals plan=pro counted from the responses:
    by_plan = {r["label"]: r["result"] for r in queries.nps_by_segment(live, "plan")}
    assert queries.nps_summary(filters).current == by_plan["pro"]


def test_a_changed_score_is_counted_at_once_and_then_from_the_rollup(db):
    response = ResponseFactory(score=2)
    filters = queries.parse_filters({"kind": response.kind})
    refresh_rollup()
    assert queries.nps_summary(filters).current.detractors == 1
    response.score, response.category = 10, "promoter"
    response.save()
    summary = queries.nps_summary(filters).current  # the changed day is counted live
    assert (summary.detractors, summary.promoters) == (0, 1)
    assert DailyScore.objects.get().score == 2  # readers never write
    refresh_rollup()
    assert DailyScore.objects.get().score == 10
    summary = queries.nps_summary(filters).current
    assert (summary.detractors, summary.promoters) == (0, 1)


def test_a_late_commit_behind_the_watermark_is_still_counted(db):
    ResponseFactory(score=9)
    filters = queries.parse_filters({"kind": "relational"})
    refresh_rollup()
    assert queries.nps_summary(filters).current.n == 1
    watermark = RollupState.objects.get().watermark
    # A transaction that stamped its row a little before the watermark and committed after it.
    late = ResponseFactory(score=0)
    Response.objects.filter(pk=late.pk).update(updated_at=watermark - LATE_COMMIT_MARGIN / 2)
    assert queries.nps_summary(filters).current.n == 2
    refresh_rollup()
    assert sum(DailyScore.objects.values_list("n", flat=True)) == 2


def test_a_refresh_with_nothing_new_recounts_nothing(db):
    ResponseFactory(score=5)
    refresh_rollup()
    assert refresh_rollup() == 0
    assert DailyScore.objects.get().n == 1


def test_a_contact_changing_segment_moves_their_answers(db):
    contact = ContactFactory(attributes={"plan": "free"})
    ResponseFactory(contact=contact, score=10)
    filters = queries.parse_filters({"kind": "relational"})
    refresh_rollup()
    assert [r["label"] for r in queries.nps_by_segment(filters, "plan")] == ["free"]
    contact.attributes = {"plan": "pro"}
    contact.save()
    assert [r["label"] for r in queries.nps_by_segment(filters, "plan")] == ["pro"]  # read live at once
    with freeze_time(timezone.now() + timedelta(minutes=1)):  # the worker checks contacts every 30 seconds
        refresh_rollup()
        assert [r["label"] for r in queries.nps_by_segment(filters, "plan")] == ["pro"]
    assert set(DailySegmentScore.objects.filter(key="plan").values_list("value", flat=True)) == {"pro"}


def test_a_full_rebuild_equals_the_incremental_counts(random_answers):
    refresh_rollup()
    ResponseFactory(campaign=random_answers[0], score=1, contact=ContactFactory())
    refresh_rollup()
    incremental = (
        sorted(DailyScore.objects.values_list("day", "campaign_id", "score", "n")),
        sorted(LatestScore.objects.values_list("response_id", "prev_score")),
    )
    assert refresh_rollup(full=True) == -1
    assert incremental == (
        sorted(DailyScore.objects.values_list("day", "campaign_id", "score", "n")),
        sorted(LatestScore.objects.values_list("response_id", "prev_score")),
    )
