"""Responses through the API: the list with its filters (strictly checked), one with its answers."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.api_fixtures import api, api_as, token_for  # noqa: F401
from tests.factories import (
    AnswerFactory,
    CampaignFactory,
    QuestionFactory,
    ResponseFactory,
    TeamFactory,
    TouchpointFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def answers(db):
    care = TeamFactory(name="Care")
    support = CampaignFactory(kind="transactional", touchpoint=TouchpointFactory(name="Support"), team=care)
    relational = CampaignFactory(kind="relational", touchpoint=TouchpointFactory(name="Renewal"))
    now = timezone.now()
    return {
        "care": care,
        "support": support,
        "relational": relational,
        "happy": ResponseFactory(campaign=support, score=10, submitted_at=now - timedelta(days=1)),
        "unhappy": ResponseFactory(
            campaign=support, score=2, comment="Slow <b>support</b>", submitted_at=now - timedelta(days=5)
        ),
        "old": ResponseFactory(campaign=relational, score=8, submitted_at=now - timedelta(days=40)),
    }


def _ids(api, query=""):
    response = api.get(f"/api/responses/?{query}")
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def test_it_lists_responses_newest_first(api, answers):
    assert _ids(api) == [answers["happy"].pk, answers["unhappy"].pk, answers["old"].pk]


def test_it_filters_by_campaign_touchpoint_team_category_and_kind(api, answers):
    support = answers["support"]
    assert _ids(api, f"campaign={answers['relational'].pk}") == [answers["old"].pk]
    assert _ids(api, f"touchpoint={support.touchpoint_id}") == [answers["happy"].pk, answers["unhappy"].pk]
    assert _ids(api, f"team={answers['care'].pk}") == [answers["happy"].pk, answers["unhappy"].pk]
    assert _ids(api, "category=detractor") == [answers["unhappy"].pk]
    assert _ids(api, "category=passive&kind=relational") == [answers["old"].pk]
    assert _ids(api, f"contact={answers['happy'].contact_id}") == [answers["happy"].pk]


def test_it_filters_by_period(api, answers):
    now = timezone.now()
    since = (now - timedelta(days=7)).isoformat()
    until = (now - timedelta(days=2)).isoformat()
    assert _ids(api, f"submitted_from={since.replace('+', '%2B')}") == [answers["happy"].pk, answers["unhappy"].pk]
    query = f"submitted_from={since.replace('+', '%2B')}&submitted_to={until.replace('+', '%2B')}"
    assert _ids(api, query) == [answers["unhappy"].pk]


def test_the_cursor_walks_responses_with_equal_times(api):
    campaign = CampaignFactory()
    moment = timezone.now()
    made = [ResponseFactory(campaign=campaign, submitted_at=moment) for _ in range(5)]
    page = api.get("/api/responses/?page_size=2").json()
    seen = [row["id"] for row in page["results"]]
    while page["next"]:
        page = api.get(page["next"]).json()
        seen += [row["id"] for row in page["results"]]
    assert sorted(seen) == sorted(r.pk for r in made) and len(seen) == 5


@pytest.mark.parametrize(
    "query,field",
    [
        ("category=angry", "category"),
        ("campaign=abc", "campaign"),
        ("campaign=0", "campaign"),
        ("team=99999999999999999999", "team"),
        ("kind=weekly", "kind"),
        ("submitted_from=last-week", "submitted_from"),
        ("submitted_from=2026-02-01T00:00:00Z&submitted_to=2026-01-01T00:00:00Z", "submitted_to"),
        ("period=30d", "period"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(api, answers, query, field):
    response = api.get(f"/api/responses/?{query}")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_it_reads_one_response_with_its_comment_and_driver_answers(api, answers):
    unhappy = answers["unhappy"]
    question = QuestionFactory(campaign=answers["support"], kind="csat", driver="process", text="How quick?")
    AnswerFactory(response=unhappy, question=question, number=2)
    body = api.get(f"/api/responses/{unhappy.pk}/").json()
    assert (body["score"], body["category"], body["comment"]) == (2, "detractor", "Slow <b>support</b>")
    assert body["answers"] == [
        {
            "question": question.pk,
            "question_text": "How quick?",
            "question_kind": "csat",
            "driver": "process",
            "number": 2,
            "text": "",
            "choices": [],
        }
    ]
    assert "answers" not in api.get("/api/responses/").json()["results"][0]


def test_an_unknown_response_is_a_404(api, db):
    assert api.get("/api/responses/12345/").status_code == 404


def test_anonymous_answers_have_no_contact(api, db):
    response = ResponseFactory(contact=None)
    assert api.get(f"/api/responses/{response.pk}/").json()["contact"] is None
