"""Routing by account (#24): the account-owner target falls back to the account's account manager,
rules can ask for an ARR and a health, and key accounts can have a shorter deadline."""

from datetime import timedelta

import pytest
from django.utils import timezone

from followups import routing, setup
from followups.models import FollowUp, RoutingRule, SLAPolicy
from followups.processing import response_process, responses_process
from tests.factories import AccountFactory, ContactFactory, ResponseFactory, RoutingRuleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["one by one", "in a batch"])
def route(request):
    def answer(**response_kwargs) -> FollowUp | None:
        response = ResponseFactory(**response_kwargs)
        if request.param == "one by one":
            return response_process(response_id=response.pk).followup
        assert responses_process(response_ids=[response.pk]) == 1
        return FollowUp.objects.filter(response=response).first()

    return answer


def test_the_account_owner_target_uses_the_account_manager_when_the_contact_has_none(agent, admin, team_a, route):
    RoutingRuleFactory(target=RoutingRule.Target.ACCOUNT_OWNER, team=team_a)
    account = AccountFactory(owner=agent)
    case = route(score=2, contact=ContactFactory(account=account, account_owner=None))
    assert (case.owner, case.team) == (agent, team_a)
    own = route(score=2, contact=ContactFactory(account=account, account_owner=admin))
    assert own.owner == admin  # the contact's own account owner comes first


def test_an_account_manager_who_cannot_work_cases_lets_routing_fall_through(viewer, team_a, team_b, route):
    RoutingRuleFactory(order=1, target=RoutingRule.Target.ACCOUNT_OWNER, team=team_a)
    RoutingRuleFactory(order=2, target=RoutingRule.Target.TEAM_QUEUE, team=team_b)
    case = route(score=2, contact=ContactFactory(account=AccountFactory(owner=viewer)))
    assert (case.owner, case.team) == (None, team_b)


def test_an_arr_rule_sends_key_accounts_to_the_key_account_team(team_a, team_b, route):
    """ARR ≥ 50,000 goes to the key-account team (A); 49,999 and no account fall through to B."""
    key_team = RoutingRuleFactory(order=1, arr_min=50_000, target=RoutingRule.Target.TEAM_QUEUE, team=team_a)
    RoutingRuleFactory(order=2, target=RoutingRule.Target.TEAM_QUEUE, team=team_b)
    big = route(score=3, contact=ContactFactory(account=AccountFactory(arr=50_000)))
    assert (big.team, big.routed_by) == (team_a, key_team)
    assert route(score=3, contact=ContactFactory(account=AccountFactory(arr=49_999))).team == team_b
    assert route(score=3, contact=ContactFactory(account=AccountFactory(arr=None))).team == team_b
    assert route(score=3, contact=ContactFactory()).team == team_b


def test_an_arr_rule_compares_arr_in_the_reporting_currency(settings, team_a, team_b, route):
    """At USD 0.9: 60,000 USD is 54,000 EUR (≥ 50,000), 50,000 USD is 45,000 EUR; GBP has no rate."""
    settings.KRINGLOOP = {**settings.KRINGLOOP, "CURRENCY": "EUR", "EXCHANGE_RATES": {"USD": 0.9}}
    RoutingRuleFactory(order=1, arr_min=50_000, target=RoutingRule.Target.TEAM_QUEUE, team=team_a)
    RoutingRuleFactory(order=2, target=RoutingRule.Target.TEAM_QUEUE, team=team_b)
    assert route(score=3, contact=ContactFactory(account=AccountFactory(arr=60_000, currency="USD"))).team == team_a
    assert route(score=3, contact=ContactFactory(account=AccountFactory(arr=50_000, currency="USD"))).team == team_b
    assert route(score=3, contact=ContactFactory(account=AccountFactory(arr=900_000, currency="GBP"))).team == team_b


def test_a_health_rule_matches_the_accounts_counted_health(team_a, team_b, route):
    RoutingRuleFactory(order=1, account_health="at_risk", target=RoutingRule.Target.TEAM_QUEUE, team=team_a)
    RoutingRuleFactory(order=2, target=RoutingRule.Target.TEAM_QUEUE, team=team_b)
    assert route(score=5, contact=ContactFactory(account=AccountFactory(health="at_risk"))).team == team_a
    assert route(score=5, contact=ContactFactory(account=AccountFactory(health="passive"))).team == team_b


def test_rules_with_account_conditions_are_not_catch_alls_and_cover_narrower_ones():
    wide = RoutingRule(active=True, arr_min=10_000, target=RoutingRule.Target.TEAM_QUEUE)
    narrow = RoutingRule(active=True, arr_min=50_000, target=RoutingRule.Target.TEAM_QUEUE)
    assert not routing.is_catch_all(wide)
    assert routing.covers(wide, narrow) and not routing.covers(narrow, wide)
    healthy = RoutingRule(active=True, account_health="promoter", target=RoutingRule.Target.TEAM_QUEUE)
    assert not routing.covers(healthy, narrow) and not routing.covers(narrow, healthy)


def test_a_key_account_gets_the_shorter_deadline(settings, admin, route):
    settings.KRINGLOOP = {**settings.KRINGLOOP, "KEY_ACCOUNT_ARR": 50_000, "CURRENCY": "EUR"}
    setup.sla_policies_save(deadlines={"detractor": (48, False, 4)}, actor=admin)
    before = timezone.now()
    key = route(score=2, contact=ContactFactory(account=AccountFactory(arr=80_000)))
    small = route(score=2, contact=ContactFactory(account=AccountFactory(arr=1_000)))
    dollars = route(score=2, contact=ContactFactory(account=AccountFactory(arr=80_000, currency="USD")))
    assert key.due_at - before < timedelta(hours=4, minutes=1)
    assert small.due_at - before > timedelta(hours=47)
    assert dollars.due_at - before > timedelta(hours=47)  # no rate for USD: its ARR is not compared
    settings.KRINGLOOP = {**settings.KRINGLOOP, "EXCHANGE_RATES": {"USD": 0.9}}  # 80,000 USD = 72,000 EUR
    dollars = route(score=2, contact=ContactFactory(account=AccountFactory(arr=80_000, currency="USD")))
    assert dollars.due_at - timezone.now() < timedelta(hours=4, minutes=1)
    assert SLAPolicy.objects.get(category="detractor").key_account_hours == 4


def test_the_deadlines_page_saves_key_account_hours(client, admin):
    client.force_login(admin)
    data = {}
    for category in ("promoter", "passive", "detractor"):
        data |= {f"{category}-hours": "48", f"{category}-key_account_hours": ""}
    data["detractor-key_account_hours"] = "6"
    assert client.post("/routing/sla/", data).status_code == 302
    assert SLAPolicy.objects.get(category="detractor").key_account_hours == 6
    assert SLAPolicy.objects.get(category="passive").key_account_hours is None


def test_the_rule_form_takes_arr_and_health(client, admin, team_a):
    client.force_login(admin)
    data = {"name": "Key accounts", "active": "on", "arr_min": "50000", "account_health": "at_risk"}
    data |= {"target": "team_queue", "team": team_a.pk}
    assert client.post("/routing/new/", data).status_code == 302
    rule = RoutingRule.objects.get(name="Key accounts")
    assert (rule.arr_min, rule.account_health) == (50_000, "at_risk")
    assert "account ARR" in client.get("/routing/").content.decode()
