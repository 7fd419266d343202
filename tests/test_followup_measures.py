"""The follow-up measures for the dashboard: time to first contact, closed within the deadline,
open and overdue counts by team and owner; detractors who moved up when asked again."""

from datetime import timedelta

from django.utils import timezone
from freezegun import freeze_time

from followups.models import FollowUp
from followups.queries import sla_health
from tests.factories import FollowUpFactory

S = FollowUp.Status


def _case(created, *, first_contact_hours=None, closed_hours=None, due_hours=48, **kwargs):
    with freeze_time(created):
        case = FollowUpFactory(due_at=created + timedelta(hours=due_hours), **kwargs)
    FollowUp.objects.filter(pk=case.pk).update(
        first_contact_at=created + timedelta(hours=first_contact_hours) if first_contact_hours is not None else None,
        closed_at=created + timedelta(hours=closed_hours) if closed_hours is not None else None,
    )
    return case


def test_time_to_first_contact_average_and_median(db):
    start = timezone.now() - timedelta(days=10)
    for hours in (1, 2, 9):
        _case(start, first_contact_hours=hours, status=S.CONTACTED)
    _case(start)  # not contacted yet: not counted
    overall = sla_health()["overall"]
    assert overall["avg_first_contact"] == timedelta(hours=4)
    assert overall["median_first_contact"] == timedelta(hours=2)


def test_open_overdue_and_closed_within_deadline_by_team_and_owner(db, agent, agent_b, team_a, team_b):
    start = timezone.now() - timedelta(days=10)
    _case(start, owner=agent, team=team_a)  # open and overdue (due after 48 h)
    _case(timezone.now(), owner=agent, team=team_a)  # open, not yet due
    _case(start, owner=agent, team=team_a, status=S.RESOLVED, first_contact_hours=3, closed_hours=24)  # in time
    _case(start, owner=agent_b, team=team_b, status=S.CLOSED, closed_hours=72)  # late
    health = sla_health()
    overall = health["overall"]
    assert (overall["open"], overall["overdue"], overall["closed"], overall["closed_in_sla"]) == (2, 1, 2, 1)
    assert overall["in_sla_share"] == 0.5
    teams = {row["team__name"]: row for row in health["by_team"]}
    assert (teams["Team A"]["open"], teams["Team A"]["overdue"], teams["Team A"]["in_sla_share"]) == (2, 1, 1.0)
    assert teams["Team B"]["in_sla_share"] == 0.0
    owners = {row["owner__username"]: row for row in health["by_owner"]}
    assert owners["arthur-agent"]["median_first_contact"] == timedelta(hours=3)
    assert owners["bert-agent-b"]["median_first_contact"] is None


def test_the_period_and_team_filters(db, agent, team_a, team_b):
    _case(timezone.now() - timedelta(days=40), team=team_a)
    _case(timezone.now() - timedelta(days=2), team=team_a)
    _case(timezone.now() - timedelta(days=2), team=team_b)
    assert sla_health(since=timezone.now() - timedelta(days=7))["overall"]["total"] == 2
    assert sla_health(team_ids=[team_b.pk])["overall"]["total"] == 1


def test_it_aggregates_in_sql(db, django_assert_max_num_queries, agent, team_a):
    for _ in range(5):
        _case(timezone.now() - timedelta(days=3), owner=agent, team=team_a, first_contact_hours=1)
    with django_assert_max_num_queries(3):
        sla_health()
