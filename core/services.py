from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.models import Team, UserProfile
from core.roles import assign_role

User = get_user_model()


def user_save(*, actor, user, role: str, teams, password: str | None) -> User:
    """Create or update a staff user with one role and a set of teams."""
    with transaction.atomic():
        created = user.pk is None
        if password:
            user.set_password(password)
        user.save()
        assign_role(user, role)
        user.teams.set(teams)
        UserProfile.objects.get_or_create(user=user)
        audit_log(
            actor=actor,
            action="user.created" if created else "user.updated",
            target=user,
            data={"role": role, "teams": [t.name for t in teams]},
        )
    return user


def check_nps_target(target: int | None) -> None:
    """A team's NPS target is an NPS: between -100 and 100 (or none)."""
    if target is not None and not -100 <= target <= 100:
        raise ValidationError({"nps_target": _("An NPS target lies between -100 and 100.")})


def team_save(
    *, actor, team: Team, name: str, lead, members, nps_target: int | None, language: str | None = None
) -> Team:
    """Create or change a team from plain values: its name, lead, members, NPS target and language."""
    check_nps_target(nps_target)
    with transaction.atomic():
        created = team.pk is None
        team.name, team.lead, team.nps_target = name, lead, nps_target
        if language:
            team.language = language
        team.save()
        team.members.set(members)
        audit_log(actor=actor, action="team.created" if created else "team.updated", target=team)
    return team


def profile_save(*, user, language: str) -> UserProfile:
    """A staff member's own preferences. (Reports by e-mail are scheduled reports: scoring.subscriptions.)"""
    profile = profile_for(user)
    profile.language = language
    profile.save(update_fields=["language"])
    return profile


def profile_for(user) -> UserProfile:
    return UserProfile.objects.get_or_create(user=user)[0]
