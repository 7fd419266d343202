"""How follow-up work is set up, by admins: routing rules, deadlines per category (SLA policies)
and the root-cause tags. Writes that take plain values, audit-logged, called by the admin pages
(followups/settings_views.py) and usable from a shell, a command or the API alike.

The checks a rule or a deadline must pass live here too, so the forms show the same messages
the services enforce.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from core.audit import audit_log
from followups.models import RootCauseTag, RoutingRule, SLAPolicy
from followups.routing import is_catch_all, owner_problem
from surveys.models import Category

RULE_FIELDS = (
    "name",
    "active",
    "campaign",
    "touchpoint",
    "categories",
    "score_min",
    "score_max",
    "language",
    "segment_key",
    "segment_value",
    "at_risk_only",
    "arr_min",
    "account_health",
    "target",
    "target_user",
    "team",
)
# A deadline runs from one hour to sixty days.
SLA_MIN_HOURS, SLA_MAX_HOURS = 1, 24 * 60


# --- Routing rules ------------------------------------------------------------------------------
def routing_rule_problems(values: dict) -> dict[str, str]:
    """What is wrong with a rule made of `values` (field → message; empty when it is sound)."""
    problems = {}
    low, high = values.get("score_min"), values.get("score_max")
    for name, value in (("score_min", low), ("score_max", high)):
        if value is not None and not 0 <= value <= 10:
            problems[name] = _("Scores run from 0 to 10.")
    if low is not None and high is not None and low > high and "score_max" not in problems:
        problems["score_max"] = _("The highest score cannot be below the lowest.")
    target = values.get("target")
    if target == RoutingRule.Target.USER and not values.get("target_user"):
        problems["target_user"] = _("Choose the user who gets these cases.")
    elif target == RoutingRule.Target.USER:
        user = values["target_user"]
        user = get_user_model().objects.filter(pk=user).first() if isinstance(user, int) else user
        if user is not None and owner_problem(user):
            problems["target_user"] = owner_problem(user)
    if target in (RoutingRule.Target.ROUND_ROBIN, RoutingRule.Target.TEAM_QUEUE) and not values.get("team"):
        problems["team"] = _("Choose the team whose members (or queue) get these cases.")
    if bool(values.get("segment_key")) != bool(values.get("segment_value")):
        problems["segment_value"] = _("Give both the segment attribute and its value, or neither.")
    return problems


def routing_rule_save(*, actor, rule: RoutingRule | None = None, **values) -> RoutingRule:
    """Create a rule or change `rule`, from plain field values (names in RULE_FIELDS; related
    records as instances). Raises ValidationError when the rule would not make sense, or when its
    named user cannot work cases. A new rule goes just before the first catch-all rule (active,
    no conditions), where it can still fire, or last when there is none or it is one itself."""
    unknown = sorted(set(values) - set(RULE_FIELDS))
    if unknown:
        raise TypeError(f"Not fields of a routing rule: {', '.join(unknown)}")
    problems = routing_rule_problems({**_rule_values(rule), **values})
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        created = rule is None or rule.pk is None
        rule = rule if rule is not None else RoutingRule()
        for name, value in values.items():
            setattr(rule, name, value)
        if created:
            rules = list(RoutingRule.objects.select_for_update().order_by("order", "id"))
            catch_all = None if is_catch_all(rule) else next((r for r in rules if is_catch_all(r)), None)
            if catch_all is None:
                rule.order = (RoutingRule.objects.aggregate(m=Max("order"))["m"] or 0) + 1
                rule.save()
            else:
                rule.order = 0
                rule.save()
                place = rules.index(catch_all)
                _renumber([*rules[:place], rule, *rules[place:]])
                rule.refresh_from_db(fields=["order"])
        else:
            rule.save()
        audit_log(
            actor=actor,
            action="routing.created" if created else "routing.updated",
            target=rule,
            data={name: str(value) for name, value in values.items()},
        )
    return rule


def _rule_values(rule: RoutingRule | None) -> dict:
    """The rule's current values (ids for related records, so nothing is fetched)."""
    return {name: rule.serializable_value(name) for name in RULE_FIELDS} if rule is not None else {}


def routing_rule_delete(*, rule: RoutingRule, actor) -> None:
    with transaction.atomic():
        audit_log(actor=actor, action="routing.deleted", target=rule)
        rule.delete()


def routing_rule_move(*, rule_id: int, actor, direction: str = "", position: int | None = None) -> None:
    """Move a rule to `position` (1 is first; beyond the end is last) in one step, or one place
    "up" or "down". The order is renumbered 1, 2, 3 … under a lock on all rules, so two moves at
    once cannot leave two rules in one place."""
    with transaction.atomic():
        rules = list(RoutingRule.objects.select_for_update().order_by("order", "id"))
        index = next((i for i, r in enumerate(rules) if r.pk == rule_id), None)
        if index is None:
            return
        if position is None:
            position = index + (0 if direction == "up" else 2)
        rule = rules.pop(index)
        rules.insert(min(max(position, 1), len(rules) + 1) - 1, rule)
        _renumber(rules)
        audit_log(actor=actor, action="routing.reordered", data={"order": [r.pk for r in rules]})


def _renumber(rules: list[RoutingRule]) -> None:
    """Store the order of `rules` as 1, 2, 3 … (only the rows that change)."""
    for place, rule in enumerate(rules, start=1):
        if rule.order != place:
            RoutingRule.objects.filter(pk=rule.pk).update(order=place)
            rule.order = place


def routing_rule_toggle(*, rule: RoutingRule, actor) -> RoutingRule:
    """Switch a rule on or off."""
    return _toggle(rule, actor=actor, audit_prefix="routing")


# --- Deadlines ----------------------------------------------------------------------------------
def sla_hours_problem(hours: int) -> str:
    """Why `hours` cannot be a deadline ("" when it can)."""
    if not SLA_MIN_HOURS <= hours <= SLA_MAX_HOURS:
        return _("Between 1 hour and 60 days.")
    return ""


def sla_policies_save(*, deadlines: dict[str, tuple], actor) -> None:
    """Set the deadline of each category given: category → (hours, in business hours only) or
    (hours, in business hours only, hours for key accounts or None)."""
    for category, (hours, _business_hours, *key_hours) in deadlines.items():
        if category not in Category.values:
            raise ValidationError(_("Unknown category."))
        for value in (hours, *[h for h in key_hours if h is not None]):
            if sla_hours_problem(value):
                raise ValidationError(sla_hours_problem(value))
    with transaction.atomic():
        for category, (hours, business_hours, *key_hours) in deadlines.items():
            defaults = {"hours": hours, "business_hours": business_hours}
            if key_hours:
                defaults["key_account_hours"] = key_hours[0]
            SLAPolicy.objects.update_or_create(category=category, defaults=defaults)
        audit_log(actor=actor, action="sla.updated", data={c: values[0] for c, values in deadlines.items()})


# --- Root causes --------------------------------------------------------------------------------
def tag_create(*, name: str, slug: str, active: bool = True, actor) -> RootCauseTag:
    with transaction.atomic():
        tag = RootCauseTag.objects.create(name=name, slug=slug, active=active)
        audit_log(actor=actor, action="tag.created", target=tag)
    return tag


def tag_toggle(*, tag: RootCauseTag, actor) -> RootCauseTag:
    """Switch a root cause on or off; cases keep the tags they have."""
    return _toggle(tag, actor=actor, audit_prefix="tag")


def _toggle(obj, *, actor, audit_prefix: str):
    with transaction.atomic():
        obj.active = not obj.active
        obj.save(update_fields=["active"])
        audit_log(actor=actor, action=f"{audit_prefix}.{'activated' if obj.active else 'deactivated'}", target=obj)
    return obj
