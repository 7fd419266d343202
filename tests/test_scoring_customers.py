"""Customer score history and the "at risk" list: a latest answer a category or 3+ points below the
customer's previous one of the same survey type."""

from datetime import timedelta

import pytest
from django.utils import timezone

from scoring import freshness, queries
from scoring.rollup import refresh_rollup
from tests.factories import CampaignFactory, ContactFactory, ResponseFactory


def _answers(contact, campaign, *scores, last_days_ago=2):
    now = timezone.now()
    for i, score in enumerate(scores):
        ResponseFactory(
            contact=contact,
            campaign=campaign,
            score=score,
            submitted_at=now - timedelta(days=last_days_ago + 30 * (len(scores) - 1 - i)),
        )


@pytest.fixture
def support(db):
    return CampaignFactory(kind="transactional")


def _risky(**params):
    """The list counted live from the answers, which must equal the list read from LatestScore
    after the worker's refresh."""
    filters = queries.parse_filters({"kind": "transactional", **params})
    live = {
        (row.response.contact.name, row.prev_score, row.score, row.dropped_category) for row in queries.at_risk(filters)
    }
    refresh_rollup()
    assert freshness.measure().contacts == []  # now from LatestScore alone
    rolled_up = {
        (row.response.contact.name, row.prev_score, row.score, row.dropped_category) for row in queries.at_risk(filters)
    }
    assert live == rolled_up
    return live


def test_it_flags_a_drop_in_category(support):
    _answers(ContactFactory(name="Ann"), support, 10, 8)  # promoter → passive
    _answers(ContactFactory(name="Pia"), support, 8, 6)  # passive → detractor
    assert _risky() == {("Ann", 10, 8, True), ("Pia", 8, 6, True)}


def test_it_flags_a_fall_of_three_points_within_a_category(support):
    _answers(ContactFactory(name="Bob"), support, 6, 3)
    _answers(ContactFactory(name="Cas"), support, 6, 4)  # two points: not yet
    assert _risky() == {("Bob", 6, 3, False)}


def test_only_the_latest_answer_counts(support):
    _answers(ContactFactory(name="Dee"), support, 10, 4, 9)  # fell, then recovered
    _answers(ContactFactory(name="Eve"), support, 9)  # a first answer has nothing to fall from
    assert _risky() == set()


def test_survey_types_are_compared_apart(support):
    contact = ContactFactory(name="Fay")
    _answers(contact, CampaignFactory(kind="relational"), 10, last_days_ago=10)
    _answers(contact, support, 3)  # the first transactional answer: no previous of its kind
    assert _risky() == set()
    assert {row.response.contact.name for row in queries.at_risk(queries.parse_filters({"kind": "all"}))} == set()


def test_the_period_and_filters_apply_to_the_latest_answer(support):
    _answers(ContactFactory(name="Gus"), support, 10, 2, last_days_ago=100)
    assert _risky() == set()  # dropped, but not in the last 90 days
    assert _risky(period="365d") == {("Gus", 10, 2, True)}
    assert _risky(period="365d", segment="plan=starter") == set()
    assert _risky(period="365d", campaign=str(support.pk + 1000)) == set()


def test_the_list_follows_new_answers(support):
    contact = ContactFactory(name="Hal")
    _answers(contact, support, 9, 5)
    assert _risky() == {("Hal", 9, 5, True)}
    ResponseFactory(contact=contact, campaign=support, score=10, submitted_at=timezone.now())
    assert _risky() == set()


def test_the_history_lists_each_answer_with_its_change(support):
    contact = ContactFactory()
    _answers(contact, support, 9, 6, 8)
    history = queries.contact_history(contact.pk)
    assert [(r.score, r.prev_score) for r in history] == [(9, None), (6, 9), (8, 6)]
