"""Praise reaches the people who earned it (#21.4).

A promoter's comment earns kudos for
- the staff member who served the customer: the API trigger's `served_by`, or the contact's
  `served_by` attribute (settings.KUDOS_SERVED_BY_ATTRIBUTE), by username or e-mail;
- an owner of an earlier case of this customer whom the comment names (first name, full name or
  username, as a whole word);
- a team the comment names, or the answer's own team when the comment names it or its touchpoint.
Each is one Kudos row per answer and person or team (unique), made when the answer (or its late
"why") is processed. Once a day (from KUDOS_HOUR) each person gets one e-mail with their kudos and
their teams' (the e-mail ledger's key kudos:<user>:<day>: at most one a day), and each team's
Slack/Teams channel one message (webhooks.events.emit_scheduled, key kudos:<day>:<team>). Kudos that
arrive after the day's notice wait for the next day's.
"""

import re
import unicodedata
from collections import defaultdict
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation

from core.i18n import user_languages
from core.mail import absolute_url, render_email, send_many_once
from core.models import EmailDelivery, Team
from followups.models import FollowUp, Kudos
from surveys.models import Category, Response
from webhooks.events import emit_scheduled
from webhooks.models import Delivery

User = get_user_model()
EVENT = "kudos"
KEEP_TRYING = timedelta(days=7)  # kudos older than this are no longer announced


def _folded(text: str) -> str:
    """`text` without accents and case, so "José" and "Jose", "Zoë" and "ZOE" compare equal:
    decomposed (NFKD), combining marks dropped, case-folded."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def _named(text: str, name: str) -> bool:
    """Whether `text` names `name` as a whole word (at least 3 letters), whatever the accents or case."""
    name = _folded((name or "").strip())
    return len(name) >= 3 and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", _folded(text)) is not None


def _staff_by_handle(handle: str):
    handle = (handle or "").strip()
    if not handle:
        return None
    return User.objects.filter(Q(username__iexact=handle) | Q(email__iexact=handle), is_active=True).first()


def served_by(response: Response):
    """The staff member the answer names as having served the customer, if any."""
    invitation = response.invitation
    handle = invitation.served_by if invitation is not None else ""
    if not handle and response.contact is not None:
        handle = str((response.contact.attributes or {}).get(settings.KUDOS_SERVED_BY_ATTRIBUTE, ""))
    return _staff_by_handle(handle)


def praise_targets(response: Response, teams=None) -> list[tuple[str, object]]:
    """[(reason, user or team)] the promoter's comment praises; empty for anyone else. `teams`:
    every team (read once for a batch)."""
    comment = response.comment or ""
    if response.category != Category.PROMOTER or not comment.strip():
        return []
    found: list[tuple[str, object]] = []
    person = served_by(response)
    if person is not None:
        found.append((Kudos.Reason.SERVED_BY, person))
    if response.contact_id:
        earlier = (
            FollowUp.objects.filter(
                contact_id=response.contact_id, owner__isnull=False, created_at__lt=response.submitted_at
            )
            .select_related("owner")
            .order_by("-created_at")
        )
        for owner in {case.owner for case in earlier}:
            names = (owner.get_full_name(), owner.first_name, owner.get_username())
            if owner.is_active and any(_named(comment, name) for name in names):
                found.append((Kudos.Reason.NAMED, owner))
    for team in Team.objects.all() if teams is None else teams:
        own = team.pk == response.team_id and (
            response.touchpoint is not None and _named(comment, response.touchpoint.name)
        )
        if _named(comment, team.name) or own:
            found.append((Kudos.Reason.TEAM, team))
    seen, unique = set(), []
    for reason, target in found:
        key = (type(target).__name__, target.pk)
        if key not in seen:
            seen.add(key)
            unique.append((reason, target))
    return unique


def record(responses) -> int:
    """Make the kudos of these answers (idempotent: unique per answer and person or team)."""
    rows, teams = [], None
    for response in responses:
        teams = list(Team.objects.all()) if teams is None else teams
        for reason, target in praise_targets(response, teams):
            is_team = isinstance(target, Team)
            rows.append(
                Kudos(
                    response=response, reason=reason, team=target if is_team else None, user=None if is_team else target
                )
            )
    if rows:
        Kudos.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _today(now):
    return timezone.localtime(now, ZoneInfo(settings.TIME_ZONE)).date()


def is_kudos_time(now) -> bool:
    return timezone.localtime(now, ZoneInfo(settings.TIME_ZONE)).hour >= settings.KUDOS_HOUR


def _item(kudos: Kudos) -> dict:
    response = kudos.response
    return {
        "comment": response.comment,
        "score": response.score,
        "submitted_at": response.submitted_at.isoformat(),
        "touchpoint": response.touchpoint.name if response.touchpoint else "",
        "for": kudos.team.name if kudos.team_id else (kudos.user.get_full_name() or kudos.user.get_username()),
    }


def send_daily_kudos(*, now=None, force: bool = False) -> int:
    """The day's kudos notices: one e-mail per person, one message per team channel. Returns how
    many e-mails and channel messages were made now; running again the same day makes none."""
    now = now or timezone.now()
    if not force and not is_kudos_time(now):
        return 0
    day = _today(now).isoformat()
    pending = list(
        Kudos.objects.filter(Q(emailed_at__isnull=True) | Q(posted_at__isnull=True), created_at__gte=now - KEEP_TRYING)
        .filter(created_at__lte=now)
        .select_related("response__touchpoint", "user", "team")
        .order_by("created_at", "pk")
    )
    if not pending:
        return 0
    return _email(pending, day, now) + _post(pending, day, now)


def _email(pending: list[Kudos], day: str, now) -> int:
    """Each person: their own kudos and those of the teams they lead or belong to."""
    teams = defaultdict(set)  # team id -> member and lead ids
    for team in Team.objects.prefetch_related("members"):
        teams[team.pk] = {member.pk for member in team.members.all()} | ({team.lead_id} if team.lead_id else set())
    mine = defaultdict(list)
    for kudos in (k for k in pending if k.emailed_at is None):
        for user_id in [kudos.user_id] if kudos.user_id else teams.get(kudos.team_id, set()):
            mine[user_id].append(kudos)
    people = {user.pk: user for user in User.objects.filter(pk__in=list(mine), is_active=True).exclude(email="")}
    done_today = set(
        EmailDelivery.objects.filter(key__in=[f"kudos:{pk}:{day}" for pk in people], status="sent").values_list(
            "key", flat=True
        )
    )
    languages = user_languages(people.values())
    items, handled = [], set()
    for user_id, kudos_list in mine.items():
        user = people.get(user_id)
        key = f"kudos:{user_id}:{day}"
        if user is None:
            handled.update(k.pk for k in kudos_list)  # nobody to e-mail: nothing to wait for
            continue
        if key in done_today:
            continue  # at most one a day: these wait for tomorrow's
        with translation.override(languages[user.pk]):
            message = render_email(
                template="kudos",
                to=user.email,
                language=languages[user.pk],
                context={
                    "name": user.first_name or user.get_username(),
                    "items": [_item(k) for k in kudos_list],
                    "wall_url": absolute_url(reverse("followups:praise_wall")),
                },
            )
        items.append((key, "kudos", message))
        handled.update(k.pk for k in kudos_list)
    sent = send_many_once(items)
    # Only what every recipient got (or had nobody) is done; a person skipped today keeps theirs pending.
    waiting = {k.pk for user_id, lst in mine.items() if f"kudos:{user_id}:{day}" in done_today for k in lst}
    Kudos.objects.filter(pk__in=handled - waiting).update(emailed_at=now)
    return len(sent)


def _post(pending: list[Kudos], day: str, now) -> int:
    """Each team channel: the kudos of the team and of its members."""
    memberships = defaultdict(set)
    for team in Team.objects.prefetch_related("members"):
        for member in team.members.all():
            memberships[member.pk].add(team.pk)
        if team.lead_id:
            memberships[team.lead_id].add(team.pk)
    per_team = defaultdict(list)
    for kudos in (k for k in pending if k.posted_at is None):
        for team_id in [kudos.team_id] if kudos.team_id else sorted(memberships.get(kudos.user_id, ())):
            per_team[team_id].append(kudos)
    teams = {team.pk: team for team in Team.objects.filter(pk__in=list(per_team))}
    posted_today = set(
        Delivery.objects.filter(key__in=[f"{EVENT}:{day}:{pk}" for pk in per_team]).values_list("key", flat=True)
    )
    made, handled, waiting = 0, set(), set()
    for team_id, kudos_list in per_team.items():
        team = teams[team_id]
        if f"{EVENT}:{day}:{team_id}" in posted_today:  # at most one a day: these wait for tomorrow's
            waiting.update(k.pk for k in kudos_list)
            continue
        with translation.override(team.language):
            names = sorted({_item(k)["for"] for k in kudos_list})
            data = {
                "kudos": {
                    "name": ", ".join(names),
                    "team": team.name,
                    "comments": [_item(k) for k in kudos_list],
                    "url": absolute_url(reverse("followups:praise_wall") + f"?team={team.pk}"),
                }
            }
        made += emit_scheduled(EVENT, key=f"{day}:{team_id}", data=data, team_id=team_id)
        handled.update(k.pk for k in kudos_list)
    without_team = {k.pk for k in pending if k.posted_at is None} - handled - waiting
    Kudos.objects.filter(pk__in=(handled - waiting) | without_team).update(posted_at=now)
    return made
