"""Routing: whether an answer opens a case, and which rule decides who owns it.

`wants_followup` is the one rule for "does this answer need a case" (every path asks it). The
first active rule whose conditions all hold decides the owner: pure matching (`rule_checks`,
`explain_routing`) plus the effectful target resolution (`Router`, for one case or many at once),
which for round-robin locks the team's RoundRobinState row so concurrent workers hand out cases
fairly and the position survives restarts. A customer whose score dropped (`dropped`) is "at
risk", a condition rules can ask for.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _

from core.roles import ROLE_LABELS, can_work_cases, case_workers, user_role
from followups.models import RoundRobinState, RoutingRule
from surveys import account_money
from surveys.account_rules import case_owner
from surveys.models import Campaign, Category, Health, Response

User = get_user_model()
UNHAPPY = (Category.DETRACTOR, Category.PASSIVE)
_RANK = {Category.DETRACTOR: 0, Category.PASSIVE: 1, Category.PROMOTER: 2}


def wants_followup(response: Response) -> bool:
    """Whether `response` needs a case: detractors and passives always; promoters when their
    campaign asks for a "thank and ask for a review" case. (Reads response.campaign: load it along
    when asking about many answers.) An employee's answer (eNPS) is anonymous: a case only when
    they asked to be contacted."""
    if response.kind == Campaign.Kind.EMPLOYEE:
        return response.may_contact
    if response.category in UNHAPPY:
        return True
    return (
        response.category == Category.PROMOTER
        and response.campaign_id is not None
        and response.campaign.followup_promoters
    )


def dropped(response: Response, previous_score: int | None, previous_category: str | None) -> bool:
    """Whether `response` is worse than the contact's previous answer (None: there was none):
    a lower category, or 3 points or more."""
    if previous_category is None:
        return False
    return _RANK[response.category] < _RANK[previous_category] or previous_score - response.score >= 3


def previous_answer() -> dict:
    """Annotations giving a response its contact's previous answer: previous_score, previous_category
    (what `dropped` compares with, for many responses in one query)."""
    earlier = Response.objects.filter(
        contact_id=OuterRef("contact_id"), submitted_at__lt=OuterRef("submitted_at")
    ).order_by("-submitted_at")
    return {
        "previous_score": Subquery(earlier.values("score")[:1]),
        "previous_category": Subquery(earlier.values("category")[:1]),
    }


def contact_drop(*, response: Response) -> bool:
    """`dropped` for one response, its contact's previous answer looked up (never for an anonymous one)."""
    if response.contact_id is None:
        return False
    previous = (
        Response.objects.filter(contact_id=response.contact_id, submitted_at__lt=response.submitted_at)
        .order_by("-submitted_at")
        .values("score", "category")
        .first()
    )
    return bool(previous) and dropped(response, previous["score"], previous["category"])


@dataclass
class Check:
    condition: str
    ok: bool
    detail: str


@dataclass
class RuleVerdict:
    rule: RoutingRule
    checks: list[Check] = field(default_factory=list)

    @property
    def matched(self) -> bool:
        return all(c.ok for c in self.checks)


class Workers:
    """Who may own cases (core.roles.can_work_cases), asked of many users: the ids are read in one
    query on first use, for a batch of answers routed at once."""

    def __init__(self):
        self._ids = None

    def __call__(self, user) -> bool:
        if user is None:
            return False
        if self._ids is None:
            self._ids = set(case_workers(User.objects.all()).values_list("pk", flat=True))
        return user.pk in self._ids


def rule_checks(
    rule: RoutingRule, response: Response, *, at_risk: bool = False, can_work=can_work_cases
) -> list[Check]:
    """Each condition of `rule` against `response`; pure but for `can_work` (who may own cases,
    core.roles.can_work_cases by default) and `at_risk`, which is worked out by the caller."""
    contact = response.contact
    checks = []
    if rule.campaign_id:
        checks.append(
            Check(
                "campaign",
                rule.campaign_id == response.campaign_id,
                _("campaign is %(campaign)s") % {"campaign": rule.campaign},
            )
        )
    if rule.touchpoint_id:
        checks.append(
            Check(
                "touchpoint",
                rule.touchpoint_id == response.touchpoint_id,
                _("touchpoint is %(touchpoint)s") % {"touchpoint": rule.touchpoint},
            )
        )
    if rule.categories:
        checks.append(
            Check(
                "category",
                response.category in rule.categories,
                _("category is one of %(categories)s") % {"categories": ", ".join(rule.category_names)},
            )
        )
    if rule.score_min is not None:
        checks.append(
            Check("score", response.score >= rule.score_min, _("score ≥ %(score)s") % {"score": rule.score_min})
        )
    if rule.score_max is not None:
        checks.append(
            Check("score", response.score <= rule.score_max, _("score ≤ %(score)s") % {"score": rule.score_max})
        )
    if rule.language:
        checks.append(
            Check(
                "language",
                response.language == rule.language,
                _("language is %(language)s") % {"language": rule.language},
            )
        )
    if rule.segment_key:
        value = str((contact.attributes or {}).get(rule.segment_key, "")) if contact else ""
        checks.append(
            Check(
                "segment",
                value.lower() == rule.segment_value.lower(),
                _("%(attribute)s is %(value)s") % {"attribute": rule.segment_key, "value": rule.segment_value},
            )
        )
    if rule.at_risk_only:
        checks.append(Check("at risk", at_risk, _("the customer's score dropped (at risk)")))
    account = contact.account if contact is not None and contact.account_id else None
    if rule.arr_min is not None:
        arr = account_money.account_arr(account) if account is not None else None  # in the reporting currency
        checks.append(
            Check(
                "account ARR",
                arr is not None and arr >= rule.arr_min,
                _("the account's ARR is at least %(arr)s %(currency)s")
                % {"arr": f"{rule.arr_min:,}", "currency": account_money.reporting_currency()},
            )
        )
    if rule.account_health:
        checks.append(
            Check(
                "account health",
                account is not None and account.health == rule.account_health,
                _("the account's health is %(health)s") % {"health": str(Health(rule.account_health).label).lower()},
            )
        )
    if rule.target == RoutingRule.Target.ACCOUNT_OWNER:
        # No owner who can work cases: the rule does not apply and routing falls through to the next one.
        # The contact's own account owner first, else their account's account manager (surveys.account_rules).
        owner = case_owner(contact)
        checks.append(
            Check(
                "account owner",
                bool(owner and can_work(owner)),
                _("the contact, or their account, has an account owner who can work cases (agent or admin)"),
            )
        )
    if rule.target == RoutingRule.Target.USER:
        # A named user who left (deactivated or deleted), or who cannot work cases (a viewer),
        # must not silently collect cases.
        able = bool(rule.target_user_id and can_work(rule.target_user))
        checks.append(
            Check(
                "named user",
                able,
                _("%(user)s is active and can work cases (agent or admin)") % {"user": rule.target_user}
                if rule.target_user
                else _("the named user is active and can work cases"),
            )
        )
    return checks


def active_rules():
    return RoutingRule.objects.filter(active=True).select_related("campaign", "touchpoint", "team", "target_user")


def explain_routing(
    response: Response, rules=None, *, at_risk: bool | None = None, can_work=can_work_cases
) -> list[RuleVerdict]:
    """Every active rule in order with the result of each condition (the "test routing" page).

    `at_risk` overrides the comparison with the customer's previous answer (for a made-up answer);
    left None it is looked up once, and only if some rule asks for it.
    """
    rules = list(rules if rules is not None else active_rules())
    if at_risk is None:
        at_risk = any(rule.at_risk_only for rule in rules) and contact_drop(response=response)
    return [RuleVerdict(rule, rule_checks(rule, response, at_risk=at_risk, can_work=can_work)) for rule in rules]


class Router:
    """Routes any number of new cases with the rules loaded once and each round-robin team's
    position locked and read once, written back by `finish()`. Use inside one transaction."""

    def __init__(self, rules=None):
        self.rules = list(rules if rules is not None else active_rules())
        self.workers = Workers()
        self._rotations: dict[int, tuple[list, RoundRobinState | None]] = {}

    def match(self, response: Response, *, at_risk: bool | None = None) -> RoutingRule | None:
        return next(
            (
                verdict.rule
                for verdict in explain_routing(response, self.rules, at_risk=at_risk, can_work=self.workers)
                if verdict.matched
            ),
            None,
        )

    def resolve(self, rule: RoutingRule | None, response: Response):
        """(owner or None, team or None) for a matched rule; (None, None) is the fallback queue."""
        if rule is None:
            return None, None
        target = rule.target
        if target == RoutingRule.Target.ACCOUNT_OWNER:
            return case_owner(response.contact), rule.team
        if target == RoutingRule.Target.USER:
            return rule.target_user, rule.team
        if target == RoutingRule.Target.ROUND_ROBIN and rule.team_id:
            return self.next_member(rule.team), rule.team
        return None, rule.team

    def next_member(self, team) -> User | None:
        """The team's next member who can work cases after the last one served (the position is
        locked on first use)."""
        if team.pk not in self._rotations:
            members = list(case_workers(team.members.all()).order_by("id"))
            state = RoundRobinState.objects.select_for_update().get_or_create(team=team)[0] if members else None
            self._rotations[team.pk] = (members, state)
        members, state = self._rotations[team.pk]
        if not members:
            return None
        following = [m for m in members if state.last_user_id is not None and m.pk > state.last_user_id]
        state.last_user = following[0] if following else members[0]
        return state.last_user

    def finish(self) -> None:
        """Store each round-robin team's new position."""
        for _members, state in self._rotations.values():
            if state is not None:
                state.save(update_fields=["last_user"])


# --- Rules no answer can reach -----------------------------------------------------------------
def is_catch_all(rule: RoutingRule) -> bool:
    """An active rule without conditions that always places its case: every answer stops there."""
    return rule.active and not _conditions(rule) and rule.target != RoutingRule.Target.ACCOUNT_OWNER


def _conditions(rule: RoutingRule) -> bool:
    return bool(
        rule.campaign_id
        or rule.touchpoint_id
        or rule.categories
        or rule.score_min is not None
        or rule.score_max is not None
        or rule.language
        or rule.segment_key
        or rule.at_risk_only
        or rule.arr_min is not None
        or rule.account_health
    )


def covers(earlier: RoutingRule, later: RoutingRule, *, can_work=can_work_cases) -> bool:
    """Whether `earlier` takes every answer `later` would match, so `later` never fires: each of
    its conditions is as wide or wider, and it cannot fall through (no account-owner target, and a
    named user who can work cases)."""
    if not (earlier.active and later.active):
        return False
    if earlier.target == RoutingRule.Target.ACCOUNT_OWNER:
        return False
    if earlier.target == RoutingRule.Target.USER and not (earlier.target_user_id and can_work(earlier.target_user)):
        return False
    return (
        (earlier.campaign_id is None or earlier.campaign_id == later.campaign_id)
        and (earlier.touchpoint_id is None or earlier.touchpoint_id == later.touchpoint_id)
        and (not earlier.categories or (bool(later.categories) and set(later.categories) <= set(earlier.categories)))
        and (earlier.score_min is None or (later.score_min is not None and later.score_min >= earlier.score_min))
        and (earlier.score_max is None or (later.score_max is not None and later.score_max <= earlier.score_max))
        and (not earlier.language or earlier.language == later.language)
        and (
            not earlier.segment_key
            or (
                earlier.segment_key == later.segment_key
                and earlier.segment_value.lower() == later.segment_value.lower()
            )
        )
        and (not earlier.at_risk_only or later.at_risk_only)
        and (earlier.arr_min is None or (later.arr_min is not None and later.arr_min >= earlier.arr_min))
        and (not earlier.account_health or earlier.account_health == later.account_health)
    )


def unreachable(rules, *, can_work=None) -> dict[int, RoutingRule]:
    """Rule id → the earlier rule that takes all its answers, for the active rules of `rules`
    (in their order) that can never fire."""
    can_work = can_work or Workers()
    rules = [rule for rule in rules if rule.active]
    found = {}
    for index, later in enumerate(rules):
        earlier = next((e for e in rules[:index] if covers(e, later, can_work=can_work)), None)
        if earlier is not None:
            found[later.pk] = earlier
    return found


def target_problem(rule: RoutingRule, *, can_work=can_work_cases) -> str:
    """Why the rule's named user cannot get cases ("" when they can, or no user is named)."""
    if rule.target == RoutingRule.Target.USER and rule.target_user_id and not can_work(rule.target_user):
        return owner_problem(rule.target_user)
    return ""


def owner_problem(user) -> str:
    """Why `user` cannot own cases ("" when they can): the one message routing, reassigning and the
    rule checks give."""
    if can_work_cases(user):
        return ""
    if not user.is_active:
        return _("%(user)s is deactivated and cannot own cases.") % {"user": user.get_username()}
    role = user_role(user)
    if role is None:
        return _("%(user)s has no role and cannot work cases: only agents and admins can own them.") % {
            "user": user.get_username()
        }
    return _("%(user)s has the %(role)s role and cannot work cases: only agents and admins can own them.") % {
        "user": user.get_username(),
        "role": str(ROLE_LABELS[role]).lower(),
    }
