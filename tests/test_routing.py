"""Routing rules: the first matching rule decides; every target kind; the fallback queue."""

import pytest

from followups.models import FollowUp, RoutingRule
from followups.processing import response_process, responses_process
from tests.factories import ContactFactory, ResponseFactory, RoutingRuleFactory, UserFactory


@pytest.fixture(params=["one by one", "in a batch"])
def route(request):
    """Route a new answer as a single task does (response_process) or as a batch does (responses_process,
    which opens every case of the batch together): both must route alike."""

    def answer(**response_kwargs) -> FollowUp | None:
        response = ResponseFactory(**response_kwargs)
        if request.param == "one by one":
            return response_process(response_id=response.pk).followup
        assert responses_process(response_ids=[response.pk]) == 1
        return FollowUp.objects.filter(response=response).first()

    return answer


def test_a_promoter_gets_no_case_unless_the_campaign_asks(db, route):
    assert route(score=10) is None


def test_with_no_rules_a_case_lands_in_the_fallback_queue(db, route):
    case = route(score=2)
    assert case.owner is None and case.team is None
    assert "fallback" in case.events.get(kind="routed").text


def test_the_account_owner_rule(db, agent, team_a, route):
    RoutingRuleFactory(target=RoutingRule.Target.ACCOUNT_OWNER, team=team_a)
    case = route(score=2, contact=ContactFactory(account_owner=agent))
    assert case.owner == agent and case.team == team_a


def test_an_account_owner_rule_falls_through_when_the_contact_has_none(db, agent, team_a, team_b, route):
    RoutingRuleFactory(order=1, target=RoutingRule.Target.ACCOUNT_OWNER, team=team_a)
    RoutingRuleFactory(order=2, target=RoutingRule.Target.TEAM_QUEUE, team=team_b)
    case = route(score=2, contact=ContactFactory(account_owner=None))
    assert case.owner is None and case.team == team_b


def test_the_named_user_rule_with_conditions(db, agent, admin, route):
    rule = RoutingRuleFactory(
        target=RoutingRule.Target.USER,
        target_user=admin,
        categories=["detractor"],
        score_max=4,
        language="en",
        segment_key="plan",
        segment_value="pro",
    )
    case = route(score=3, language="en", contact=ContactFactory(attributes={"plan": "pro"}))
    assert case.owner == admin and case.routed_by == rule
    other = route(score=5, language="en", contact=ContactFactory(attributes={"plan": "pro"}))
    assert other.owner is None  # score 5 is above score_max


def test_round_robin_is_fair_and_remembers_where_it_left_off(db, team_a, route):
    members = [UserFactory(username=f"rr{i}", role="agent") for i in range(3)]
    team_a.members.add(*members)
    RoutingRuleFactory(target=RoutingRule.Target.ROUND_ROBIN, team=team_a)
    owners = [route(score=2).owner for _ in range(6)]
    assert owners == members + members  # the state lives in the database, so a restart changes nothing


def test_the_first_matching_rule_wins(db, team_a, team_b, route):
    RoutingRuleFactory(order=1, target=RoutingRule.Target.TEAM_QUEUE, team=team_a, categories=["passive"])
    RoutingRuleFactory(order=2, target=RoutingRule.Target.TEAM_QUEUE, team=team_b)
    assert route(score=8).team == team_a
    assert route(score=1).team == team_b


def test_the_test_page_explains_each_rule(client, admin, team_a):
    RoutingRuleFactory(
        order=1, name="Only passives", target=RoutingRule.Target.TEAM_QUEUE, team=team_a, categories=["passive"]
    )
    RoutingRuleFactory(order=2, name="The rest", target=RoutingRule.Target.TEAM_QUEUE, team=team_a)
    response = ResponseFactory(score=2)
    client.force_login(admin)
    page = client.get(f"/routing/test/?response={response.pk}")
    html = page.content.decode()
    assert page.status_code == 200
    assert "routed by <strong>The rest</strong>" in html
    assert "category is one of passive" in html


def test_admins_edit_and_reorder_rules(client, admin, team_a):
    client.force_login(admin)
    response = client.post(
        "/routing/new/",
        {"name": "Support", "active": "on", "target": "team_queue", "team": team_a.pk, "categories": ["detractor"]},
    )
    assert response.status_code == 302
    second = RoutingRuleFactory(name="Second", order=99)
    client.post(f"/routing/{second.pk}/move/", {"direction": "up"})
    assert list(RoutingRule.objects.order_by("order").values_list("name", flat=True)) == ["Second", "Support"]


@pytest.mark.parametrize(
    "data,error",
    [
        ({"score_min": 8, "score_max": 3}, "cannot be below"),
        ({"score_max": 11}, "0 to 10"),
        ({"target": "user"}, "Choose the user"),
        ({"target": "round_robin"}, "Choose the team"),
    ],
)
def test_invalid_rules_are_refused_with_a_message(client, admin, data, error):
    client.force_login(admin)
    response = client.post("/routing/new/", {"name": "Bad", "target": "team_queue", **data})
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not RoutingRule.objects.exists()


def test_an_at_risk_rule_catches_customers_whose_score_dropped(db, admin, team_a, route):
    from datetime import timedelta

    from django.utils import timezone

    RoutingRuleFactory(order=1, target=RoutingRule.Target.USER, target_user=admin, at_risk_only=True)
    RoutingRuleFactory(order=2, target=RoutingRule.Target.TEAM_QUEUE, team=team_a)
    loyal = ContactFactory()
    ResponseFactory(contact=loyal, score=10, submitted_at=timezone.now() - timedelta(days=90))
    assert route(score=5, contact=loyal).owner == admin
    assert route(score=5, contact=ContactFactory()).team == team_a


def test_campaign_and_touchpoint_conditions(db, team_a, team_b, route):
    from tests.factories import CampaignFactory, TouchpointFactory

    onboarding = CampaignFactory(touchpoint=TouchpointFactory(name="Onboarding"))
    billing = TouchpointFactory(name="Billing")
    RoutingRuleFactory(order=1, target=RoutingRule.Target.TEAM_QUEUE, team=team_a, campaign=onboarding)
    RoutingRuleFactory(order=2, target=RoutingRule.Target.TEAM_QUEUE, team=team_b, touchpoint=billing)
    assert route(score=2, campaign=onboarding).team == team_a
    assert route(score=2, campaign=CampaignFactory(touchpoint=billing)).team == team_b
    assert route(score=2).team is None  # support touchpoint, another campaign: the fallback queue


def test_a_score_range_and_segment_are_compared_loosely_on_case(db, team_a, route):
    RoutingRuleFactory(
        target=RoutingRule.Target.TEAM_QUEUE,
        team=team_a,
        score_min=5,
        score_max=6,
        segment_key="region",
        segment_value="eu",
    )
    assert route(score=5, contact=ContactFactory(attributes={"region": "EU"})).team == team_a
    assert route(score=4, contact=ContactFactory(attributes={"region": "EU"})).team is None
    assert route(score=6, contact=ContactFactory(attributes={"region": "US"})).team is None
    assert route(score=6, contact=None).team is None  # anonymous answers have no segment


def test_a_named_user_who_left_is_skipped(db, admin, team_a, route):
    gone = UserFactory(username="gone", role="agent")
    gone.is_active = False
    gone.save()
    RoutingRuleFactory(order=1, target=RoutingRule.Target.USER, target_user=gone)
    RoutingRuleFactory(order=2, target=RoutingRule.Target.TEAM_QUEUE, team=team_a)
    case = route(score=2)
    assert case.owner is None and case.team == team_a


def test_an_inactive_rule_is_ignored(db, admin, team_a, route):
    RoutingRuleFactory(order=1, target=RoutingRule.Target.USER, target_user=admin, active=False)
    assert route(score=2).owner is None


def test_round_robin_continues_after_the_last_user_stored_and_skips_inactive_members(db, team_a, route):
    from followups.models import RoundRobinState

    first, second, third = (UserFactory(username=f"member{i}", role="agent") for i in range(3))
    team_a.members.add(first, second, third)
    RoundRobinState.objects.create(team=team_a, last_user=first)  # where a previous process left off
    second.is_active = False
    second.save()
    RoutingRuleFactory(target=RoutingRule.Target.ROUND_ROBIN, team=team_a)
    assert [route(score=2).owner for _ in range(3)] == [third, first, third]
    assert RoundRobinState.objects.get(team=team_a).last_user == third


def test_round_robin_without_active_members_leaves_the_case_in_the_team_queue(db, team_a, route):
    RoutingRuleFactory(target=RoutingRule.Target.ROUND_ROBIN, team=team_a)
    case = route(score=2)
    assert case.owner is None and case.team == team_a


def test_explain_routing_names_the_failed_condition(db, team_a):
    from followups.routing import explain_routing

    rule = RoutingRuleFactory(target=RoutingRule.Target.TEAM_QUEUE, team=team_a, categories=["passive"], language="nl")
    (verdict,) = explain_routing(ResponseFactory(score=7, language="en"))
    assert verdict.rule == rule and not verdict.matched
    assert [(c.condition, c.ok) for c in verdict.checks] == [("category", True), ("language", False)]


def test_the_test_page_routes_a_made_up_answer(client, admin, agent, team_a):
    RoutingRuleFactory(
        order=1,
        name="Key accounts",
        target=RoutingRule.Target.ACCOUNT_OWNER,
        segment_key="plan",
        segment_value="enterprise",
    )
    RoutingRuleFactory(order=2, name="Everyone else", target=RoutingRule.Target.TEAM_QUEUE, team=team_a)
    client.force_login(admin)
    page = client.get(
        "/routing/test/", {"score": 3, "segment_key": "plan", "segment_value": "enterprise", "account_owner": agent.pk}
    )
    assert page.status_code == 200
    assert "routed by <strong>Key accounts</strong>" in page.content.decode()
    page = client.get("/routing/test/", {"score": 3, "segment_key": "plan", "segment_value": "enterprise"})
    assert "routed by <strong>Everyone else</strong>" in page.content.decode()  # no account owner: falls through


def test_the_test_page_refuses_an_empty_or_unknown_answer(client, admin):
    client.force_login(admin)
    assert "Give a response number" in client.get("/routing/test/", {"score": ""}).content.decode()
    page = client.get("/routing/test/", {"response": 999999})
    assert page.status_code == 400 and "no response with that number" in page.content.decode()
    assert client.get("/routing/test/", {"score": 11}).status_code == 400


def test_rules_are_activated_and_deactivated_with_an_audit_entry(client, admin, team_a):
    from core.models import AuditLog

    rule = RoutingRuleFactory(target=RoutingRule.Target.TEAM_QUEUE, team=team_a)
    client.force_login(admin)
    client.post(f"/routing/{rule.pk}/toggle/")
    rule.refresh_from_db()
    assert not rule.active
    assert AuditLog.objects.filter(action="routing.deactivated", target_id=str(rule.pk)).exists()
    client.post(f"/routing/{rule.pk}/toggle/")
    rule.refresh_from_db()
    assert rule.active


def test_deleting_a_rule_is_audit_logged(client, admin):
    from core.models import AuditLog

    rule = RoutingRuleFactory()
    client.force_login(admin)
    client.post(f"/routing/{rule.pk}/delete/")
    assert not RoutingRule.objects.filter(pk=rule.pk).exists()
    assert AuditLog.objects.filter(action="routing.deleted").exists()


def test_agents_cannot_change_rules(client, agent):
    rule = RoutingRuleFactory()
    client.force_login(agent)
    assert client.post(f"/routing/{rule.pk}/toggle/").status_code == 403
    assert client.get("/routing/test/").status_code == 403
