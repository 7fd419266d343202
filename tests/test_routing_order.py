"""Routing without dead ends (#19.1, 2): a new rule lands before the catch-all, rules that can
never fire are flagged, a rule moves to any place in one step, and only users who can work cases
(agents and admins) can be given cases by a rule, by "Test routing" or by a reassignment."""

import re

import pytest
from django.core.exceptions import ValidationError

from core.roles import can_work_cases, case_workers
from followups import routing, setup
from followups.models import FollowUp, RoutingRule
from followups.processing import response_process
from tests.factories import ContactFactory, FollowUpFactory, ResponseFactory, RoutingRuleFactory, UserFactory


def _order():
    return list(RoutingRule.objects.order_by("order").values_list("name", flat=True))


def test_a_new_rule_is_inserted_before_the_catch_all_and_fires(admin, team_a, team_b, db):
    RoutingRuleFactory(order=1, name="VIP", segment_key="plan", segment_value="vip", team=team_a)
    RoutingRuleFactory(order=2, name="Everything else", target="round_robin", team=team_a)
    setup.routing_rule_save(
        actor=admin, name="Detractors to B", target="team_queue", team=team_b, categories=["detractor"]
    )
    assert _order() == ["VIP", "Detractors to B", "Everything else"]
    assert list(RoutingRule.objects.order_by("order").values_list("order", flat=True)) == [1, 2, 3]
    case = response_process(response_id=ResponseFactory(score=2).pk).followup
    assert case.team == team_b


def test_a_new_catch_all_goes_last(admin, team_a, db):
    RoutingRuleFactory(order=1, name="Everything else", team=team_a)
    setup.routing_rule_save(actor=admin, name="Another catch-all", target="team_queue", team=team_a)
    assert _order() == ["Everything else", "Another catch-all"]


def test_a_rule_an_earlier_one_covers_is_unreachable(team_a, db):
    rules = [
        RoutingRuleFactory(order=1, name="Detractors", categories=["detractor"], team=team_a),
        RoutingRuleFactory(order=2, name="Low detractors", categories=["detractor"], score_max=3, team=team_a),
        RoutingRuleFactory(order=3, name="Passives", categories=["passive"], team=team_a),
        RoutingRuleFactory(order=4, name="Owners", target="account_owner", team=team_a),  # falls through
        RoutingRuleFactory(order=5, name="All", team=team_a),
        RoutingRuleFactory(order=6, name="Dutch", language="nl", team=team_a),
        RoutingRuleFactory(order=7, name="Off", language="de", team=team_a, active=False),
    ]
    found = routing.unreachable(rules)
    assert {rules_pk: earlier.name for rules_pk, earlier in found.items()} == {
        rules[1].pk: "Detractors",
        rules[5].pk: "All",
    }


def test_the_list_and_the_save_flag_a_rule_that_never_fires(client, admin, team_a, db):
    RoutingRuleFactory(order=1, name="Everything else", team=team_a)
    client.force_login(admin)
    # Made a catch-all, the new rule goes last: behind the other catch-all, it can never fire.
    response = client.post(
        "/routing/new/",
        {"name": "Second catch-all", "active": "on", "target": "team_queue", "team": team_a.pk},
        follow=True,
    )
    html = response.content.decode()
    assert "Rule “Second catch-all”: Never fires: rule “Everything else” above it takes every answer" in html
    page = client.get("/routing/").content.decode()
    assert page.count("rule-warning") == 1 and "Never fires: rule “Everything else”" in page


def test_a_rule_moves_to_any_position_in_one_step(client, admin, db):
    rules = [RoutingRuleFactory(order=i, name=name) for i, name in enumerate("abcde", start=1)]
    client.force_login(admin)
    client.post(f"/routing/{rules[4].pk}/move/", {"position": "1"})
    assert _order() == ["e", "a", "b", "c", "d"]
    client.post(f"/routing/{rules[4].pk}/move/", {"position": "4"})
    assert _order() == ["a", "b", "c", "e", "d"]
    client.post(f"/routing/{rules[0].pk}/move/", {"position": "99"})
    assert _order() == ["b", "c", "e", "d", "a"]
    page = client.get("/routing/").content.decode()
    assert f'id="position-{rules[0].pk}"' in page and '<option value="5" selected>5</option>' in page


# --- Only users who can work cases own them (#19.2) ----------------------------------------------
def test_the_rule_and_its_sql_form_agree(db, admin, agent, viewer, outsider):
    gone = UserFactory(username="gone", role="agent", is_active=False)
    boss = UserFactory(username="boss", is_superuser=True)
    users = [admin, agent, viewer, outsider, gone, boss]
    assert [can_work_cases(u) for u in users] == [True, True, False, False, False, True]
    from django.contrib.auth import get_user_model

    assert set(case_workers(get_user_model().objects.all())) == {admin, agent, boss}


def test_a_rule_naming_a_viewer_is_refused_with_the_reason(admin, viewer, db):
    with pytest.raises(ValidationError) as refused:
        setup.routing_rule_save(actor=admin, name="To the viewer", target="user", target_user=viewer)
    assert "has the viewer role and cannot work cases" in refused.value.message_dict["target_user"][0]
    assert not RoutingRule.objects.exists()


def test_the_rule_page_shows_the_reason_by_the_field(client, admin, viewer, db):
    client.force_login(admin)
    response = client.post("/routing/new/", {"name": "x", "active": "on", "target": "user", "target_user": viewer.pk})
    assert response.status_code == 400
    assert f"{viewer.username} has the viewer role and cannot work cases" in response.content.decode()


def test_a_viewer_never_gets_a_case_and_test_routing_says_why(client, admin, viewer, team_a, db):
    # Stored before the check existed (or the user lost their role since).
    RoutingRuleFactory(order=1, name="To the viewer", target="user", target_user=viewer)
    RoutingRuleFactory(order=2, name="Owners", target="account_owner")
    RoutingRuleFactory(order=3, name="Rest", team=team_a)
    response = ResponseFactory(score=2, contact=ContactFactory(account_owner=viewer))
    case = response_process(response_id=response.pk).followup
    assert case.owner is None and case.team == team_a
    client.force_login(admin)
    html = client.get(f"/routing/test/?response={response.pk}").content.decode()
    assert "routed by <strong>Rest</strong>" in html
    assert f"{viewer} is active and can work cases (agent or admin)" in html
    page = client.get("/routing/").content.decode()
    assert f"{viewer.username} has the viewer role and cannot work cases" in page


def test_round_robin_skips_team_members_who_cannot_work_cases(team_a, db):
    worker = UserFactory(username="rr-agent", role="agent")
    team_a.members.add(worker, UserFactory(username="rr-viewer", role="viewer"))
    RoutingRuleFactory(target="round_robin", team=team_a)
    owners = {response_process(response_id=ResponseFactory(score=2).pk).followup.owner for _ in range(3)}
    assert owners == {worker}


def test_a_case_cannot_be_reassigned_to_a_viewer(client, admin, viewer, db):
    case = FollowUpFactory()
    client.force_login(admin)
    page = client.get(f"/followups/{case.pk}/").content.decode()
    owners = re.search(r'<select name="reassign-owner".*?</select>', page, re.S).group(0)  # not other ids
    assert f'value="{viewer.pk}"' not in owners and f'value="{admin.pk}"' in owners
    response = client.post(
        f"/followups/{case.pk}/", {"action": "reassign", "reassign-owner": viewer.pk, "reassign-reason": "try"}
    )
    assert response.status_code == 400
    assert FollowUp.objects.get(pk=case.pk).owner != viewer
    from followups import services

    with pytest.raises(ValidationError, match="cannot work cases"):
        services.followup_assign(followup=case, actor=admin, owner=viewer, reason="try")


# --- Deleting asks first (#19.3) -------------------------------------------------------------------
def test_deleting_a_rule_asks_first(client, admin, db):
    rule = RoutingRuleFactory(name="Old rule")
    client.force_login(admin)
    edit = client.get(f"/routing/{rule.pk}/").content.decode()
    assert f'href="/routing/{rule.pk}/delete/"' in edit  # a link to the question, not a delete button
    page = client.get(f"/routing/{rule.pk}/delete/")
    assert page.status_code == 200 and "Delete rule “Old rule”?" in page.content.decode()
    assert RoutingRule.objects.filter(pk=rule.pk).exists()
    assert client.post(f"/routing/{rule.pk}/delete/").status_code == 302
    assert not RoutingRule.objects.filter(pk=rule.pk).exists()


def test_deleting_a_webhook_endpoint_asks_first(client, admin, db):
    from webhooks.models import Endpoint

    endpoint = Endpoint.objects.create(
        description="CRM", url="https://crm.example.com/hook", events=["followup.closed"]
    )
    client.force_login(admin)
    html = client.get(f"/webhooks/{endpoint.pk}/").content.decode()
    question = html.index('<summary class="btn btn-outline-danger btn-sm">Delete this endpoint and its log…</summary>')
    assert html.index(f'action="/webhooks/{endpoint.pk}/delete/"') > question  # the button opens the question
