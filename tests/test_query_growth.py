"""No page's query count grows with the data (no N+1): each list and report page is read with a
small data set and again with four times as much, and must run the same number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api_fixtures import api, api_as, token_for  # noqa: F401
from tests.factories import CampaignFactory, ContactFactory, FollowUpFactory, ResponseFactory

pytestmark = pytest.mark.django_db

STAFF_PAGES = [
    "/dashboard/",
    "/dashboard/?period=365d&kind=all",
    "/dashboard/followups/",
    "/dashboard/comments/",
    "/dashboard/breakdown.csv",
    "/dashboard/drivers/",
    "/dashboard/movement/",
    "/dashboard/journey/",
    "/followups/",
    "/followups/queue/",
    "/campaigns/",
    "/contacts/",
    "/improvements/",
    "/accounts/",
]
API_LISTS = ["/api/responses/", "/api/contacts/", "/api/followups/", "/api/nps/summary/"]


def _add(count: int, campaign, agent, team) -> None:
    """`count` answers across the categories, half with a comment, a case for each unhappy one."""
    for i in range(count):
        score = (2, 5, 7, 8, 9, 10)[i % 6]
        response = ResponseFactory(
            campaign=campaign,
            contact=ContactFactory(attributes={"plan": ("pro", "starter")[i % 2]}),
            score=score,
            comment="Slow delivery and a friendly driver" if i % 2 else "",
        )
        if score <= 8:
            FollowUpFactory(response=response, contact=response.contact, owner=agent, team=team)


def _queries(fetch) -> int:
    with CaptureQueriesContext(connection) as seen:
        response = fetch()
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(seen.captured_queries)


def _grows(fetch, campaign, agent, team) -> tuple[int, int]:
    _add(6, campaign, agent, team)
    fetch()  # first read: caches and lazy set-up, not the data
    small = _queries(fetch)
    _add(18, campaign, agent, team)
    return small, _queries(fetch)


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_a_staff_page_runs_as_many_queries_for_4x_the_data(client, admin, agent, team_a, path):
    campaign = CampaignFactory(team=team_a)
    client.force_login(admin)
    small, large = _grows(lambda: client.get(path), campaign, agent, team_a)
    assert large == small, f"{path}: {small} queries for 6 answers, {large} for 24"


@pytest.mark.parametrize("path", API_LISTS)
def test_an_api_list_runs_as_many_queries_for_4x_the_data(api, agent, team_a, path):
    campaign = CampaignFactory(team=team_a)
    small, large = _grows(lambda: api.get(path), campaign, agent, team_a)
    assert large == small, f"{path}: {small} queries for 6 answers, {large} for 24"
