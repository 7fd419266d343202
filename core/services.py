from django.contrib.auth import get_user_model
from django.db import transaction

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


def team_save(*, actor, form) -> Team:
    with transaction.atomic():
        created = form.instance.pk is None
        team = form.save()
        audit_log(actor=actor, action="team.created" if created else "team.updated", target=team)
    return team


def profile_for(user) -> UserProfile:
    return UserProfile.objects.get_or_create(user=user)[0]
