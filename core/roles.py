"""Roles are Django groups, ordered: viewer < agent < admin. Superusers are admins.

- admin: configures campaigns, contacts, routing, users; sees everything.
- agent: works follow-ups; also sees dashboards.
- viewer: dashboards only.

What each sees (the README's roles table; proved by tests/test_permissions.py):
- admin: every team's figures, answers, comments and cases; the only role that exports answers
  with personal data.
- agent (team leads included): figures, answers and comments of their own teams (member or lead)
  only, and the cases of their teams' queues plus those they own.
- viewer: company-wide figures only: no comments, no customer names, no answer exports.
`answer_teams(user)` and `sees_personal_data(user)` are the two rules; scoring's Filters apply the
first to every reader once (scoring.filters.dimension_q).
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

ADMIN = "admin"
AGENT = "agent"
VIEWER = "viewer"
ROLES = (VIEWER, AGENT, ADMIN)  # lowest first
ROLE_LABELS = {ADMIN: _("Admin"), AGENT: _("Agent"), VIEWER: _("Viewer")}
_RANK = {role: rank for rank, role in enumerate(ROLES, start=1)}


def user_role(user) -> str | None:
    """The highest role the user holds, or None."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return ADMIN
    cached = getattr(user, "_kringloop_role", False)
    if cached is not False:
        return cached
    names = set(user.groups.values_list("name", flat=True))
    role = next((r for r in reversed(ROLES) if r in names), None)
    user._kringloop_role = role
    return role


def has_role(user, role: str) -> bool:
    """True when the user holds `role` or a higher one."""
    held = user_role(user)
    return held is not None and _RANK[held] >= _RANK[role]


def role_required(role: str):
    """View decorator: anonymous users go to the login page, users without the role get 403."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, role):
                raise PermissionDenied(f"This page needs the {role} role.")
            return view(request, *args, **kwargs)

        wrapper.required_role = role
        return wrapper

    return decorator


# Who may own and work follow-up cases: agents and admins (a viewer would get 403 on every case page).
CASE_WORK_ROLE = AGENT


def can_work_cases(user) -> bool:
    """Whether `user` may own cases: active, with the agent role or higher. Routing, reassigning,
    "Test routing" and the routing rule checks all ask this (or `case_workers`, the same rule in SQL)."""
    return user is not None and has_role(user, CASE_WORK_ROLE)


def case_workers(users):
    """`users` (a queryset of users) narrowed to those who `can_work_cases`, in one query."""
    roles = [role for role in ROLES if _RANK[role] >= _RANK[CASE_WORK_ROLE]]
    return users.filter(Q(is_superuser=True) | Q(groups__name__in=roles), is_active=True).distinct()


def answer_teams(user) -> tuple[int, ...] | None:
    """The teams whose answers and figures `user` may see: None for every team (admins, and viewers,
    whose figures are company-wide and carry no personal data), else the ids of the teams an agent
    belongs to or leads (an empty tuple: none)."""
    role = user_role(user)
    if role in (ADMIN, VIEWER) or role is None:
        return None
    member = set(user.teams.values_list("pk", flat=True)) | set(user.led_teams.values_list("pk", flat=True))
    return tuple(sorted(member))


def sees_personal_data(user) -> bool:
    """Whether `user` may see who answered and what they wrote (names, e-mail addresses, comments):
    admins, and agents for their own teams' answers. Viewers see figures only."""
    return has_role(user, AGENT)


def exports_personal_data(user) -> bool:
    """Answer exports (CSV/XLSX with names and e-mail addresses) are for admins only."""
    return has_role(user, ADMIN)


admin_required = role_required(ADMIN)
agent_required = role_required(AGENT)
viewer_required = role_required(VIEWER)


def assign_role(user, role: str) -> None:
    from django.contrib.auth.models import Group

    user.groups.remove(*Group.objects.filter(name__in=ROLES))
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    user.__dict__.pop("_kringloop_role", None)
