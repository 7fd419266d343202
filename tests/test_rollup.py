"""The daily rollup answers exactly what the raw responses answer, and follows changes."""

import random
from datetime import timedelta

from django.utils import timezone

from scoring import queries
from scoring.models import DailyScore
from scoring.rollup import refresh_rollup
from tests.factories import CampaignFactory, ResponseFactory, TouchpointFactory


def _raw(filters):
    # A segment filter that every contact matches forces the raw path.
    return queries.Filters(**{**filters.__dict__, "segment_key": "plan", "segment_value": "pro"})


def test_rollup_and_raw_agree_on_every_panel(db):
    rng = random.Random(3)
    campaigns = [CampaignFactory(kind=k, touchpoint=TouchpointFactory(name=n))
                 for k, n in (("transactional", "Support"), ("transactional", "Billing"), ("relational", "Renewal"))]
    now = timezone.now()
    for _ in range(300):
        ResponseFactory(campaign=rng.choice(campaigns), score=rng.randint(0, 10),
                        submitted_at=now - timedelta(days=rng.randint(0, 200), hours=rng.randint(0, 23)))
    for kind in ("transactional", "relational", "all"):
        filters = queries.parse_filters({"kind": kind, "period": "365d"})
        assert queries.uses_rollup(filters) and not queries.uses_rollup(_raw(filters))
        fast, slow = queries.nps_summary(filters), queries.nps_summary(_raw(filters))
        assert (fast.current, fast.previous) == (slow.current, slow.previous)
        assert queries.score_distribution(filters) == queries.score_distribution(_raw(filters))
        assert [(r["period"], r["result"]) for r in queries.nps_by_period(filters, "month")] == \
               [(r["period"], r["result"]) for r in queries.nps_by_period(_raw(filters), "month")]
        assert [(r["label"], r["result"]) for r in queries.nps_by(filters, "touchpoint")] == \
               [(r["label"], r["result"]) for r in queries.nps_by(_raw(filters), "touchpoint")]


def test_a_changed_score_is_recounted_on_the_next_read(db):
    response = ResponseFactory(score=2)
    filters = queries.parse_filters({"kind": response.kind})
    assert queries.nps_summary(filters).current.detractors == 1
    response.score, response.category = 10, "promoter"
    response.save()
    summary = queries.nps_summary(filters).current
    assert (summary.detractors, summary.promoters) == (0, 1)


def test_a_refresh_with_nothing_new_recounts_nothing(db):
    ResponseFactory(score=5)
    refresh_rollup()
    assert refresh_rollup() == 0
    assert DailyScore.objects.get().n == 1
