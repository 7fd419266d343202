"""Setting up follow-up work with plain values (followups.setup): routing rules, deadlines, root
causes. The admin pages call these; the page tests are in test_routing.py and test_sla.py."""

import pytest
from django.core.exceptions import ValidationError

from core.models import AuditLog
from followups import setup
from followups.forms import RoutingRuleForm, SLAForm
from followups.models import RootCauseTag, RoutingRule, SLAPolicy
from tests.factories import RoutingRuleFactory, TeamFactory


def _rule(**values):
    return {"name": "Detractors to support", "target": RoutingRule.Target.ROUND_ROBIN, **values}


def test_a_new_rule_goes_last_and_is_audit_logged(admin, db):
    first = RoutingRuleFactory(order=7, categories=["passive"])  # not a catch-all (see test_routing_order.py)
    rule = setup.routing_rule_save(actor=admin, **_rule(team=TeamFactory(), categories=["detractor"]))
    assert rule.order == first.order + 1
    assert RoutingRule.objects.get(pk=rule.pk).categories == ["detractor"]
    entry = AuditLog.objects.get(action="routing.created")
    assert entry.actor == admin and entry.data["name"] == "Detractors to support"


def test_changing_a_rule_keeps_its_place(admin, db):
    rule = RoutingRuleFactory(order=3, name="Old", team=TeamFactory())
    setup.routing_rule_save(actor=admin, rule=rule, name="New")
    rule.refresh_from_db()
    assert (rule.name, rule.order) == ("New", 3)
    assert AuditLog.objects.filter(action="routing.updated", data__name="New").exists()


@pytest.mark.parametrize(
    "values, field",
    [
        ({"target": RoutingRule.Target.USER}, "target_user"),
        ({"score_min": 8, "score_max": 3}, "score_max"),
        ({"score_max": 11}, "score_max"),
        ({"segment_key": "plan"}, "segment_value"),
    ],
)
def test_a_rule_that_makes_no_sense_is_refused_and_nothing_is_saved(admin, db, values, field):
    with pytest.raises(ValidationError) as refused:
        setup.routing_rule_save(actor=admin, **_rule(team=TeamFactory(), **values))
    assert field in refused.value.message_dict
    assert not RoutingRule.objects.exists() and not AuditLog.objects.exists()


def test_the_rule_form_shows_the_message_the_service_enforces(db):
    form = RoutingRuleForm({"name": "x", "target": RoutingRule.Target.USER, "active": True})
    assert not form.is_valid()
    assert form.errors["target_user"] == [
        setup.routing_rule_problems({"target": RoutingRule.Target.USER})["target_user"]
    ]


def test_an_unknown_rule_field_is_a_programming_error(admin, db):
    with pytest.raises(TypeError):
        setup.routing_rule_save(actor=admin, **_rule(team=TeamFactory(), colour="red"))


def test_moving_a_rule_up_swaps_it_with_the_one_above(admin, db):
    a, b, c = (RoutingRuleFactory(order=i, name=n) for i, n in ((1, "a"), (2, "b"), (5, "c")))
    setup.routing_rule_move(rule_id=c.pk, direction="up", actor=admin)
    assert list(RoutingRule.objects.order_by("order").values_list("name", "order")) == [
        ("a", 1),
        ("c", 2),
        ("b", 3),
    ]
    assert AuditLog.objects.get(action="routing.reordered").data == {"order": [a.pk, c.pk, b.pk]}


def test_deadlines_are_set_per_category_and_audit_logged(admin, db):
    SLAPolicy.objects.all().delete()
    SLAPolicy.objects.create(category="detractor", hours=48)
    setup.sla_policies_save(deadlines={"detractor": (24, True), "passive": (72, False)}, actor=admin)
    assert dict(SLAPolicy.objects.values_list("category", "hours")) == {"detractor": 24, "passive": 72}
    assert SLAPolicy.objects.get(category="detractor").business_hours is True
    assert AuditLog.objects.get(action="sla.updated").data == {"detractor": 24, "passive": 72}


@pytest.mark.parametrize("deadlines", [{"detractor": (0, False)}, {"detractor": (24 * 61, False)}, {"vip": (4, False)}])
def test_a_deadline_out_of_range_or_for_no_category_changes_nothing(admin, db, deadlines):
    SLAPolicy.objects.all().delete()
    SLAPolicy.objects.create(category="detractor", hours=48)
    with pytest.raises(ValidationError):
        setup.sla_policies_save(deadlines={"passive": (8, False), **deadlines}, actor=admin)
    assert dict(SLAPolicy.objects.values_list("category", "hours")) == {"detractor": 48}


def test_the_deadline_form_and_the_service_share_the_range(db):
    form = SLAForm({"hours": 0, "business_hours": False})
    assert not form.is_valid() and form.errors["hours"] == [setup.sla_hours_problem(0)]


def test_a_root_cause_is_created_and_switched_off_audit_logged(admin, db):
    tag = setup.tag_create(name="Billing", slug="billing", actor=admin)
    setup.tag_toggle(tag=tag, actor=admin)
    assert RootCauseTag.objects.get(slug="billing").active is False
    assert list(AuditLog.objects.order_by("pk").values_list("action", flat=True)) == ["tag.created", "tag.deactivated"]
