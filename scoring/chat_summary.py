"""The weekly NPS summary for the teams' Slack and Teams channels (webhooks.chat's summary.weekly):
last week's NPS per kind with n and margin, the change, new detractors and overdue cases, in the
team's language; posted once per channel and week (webhooks.events.emit_scheduled's key)."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from core.mail import absolute_url
from core.models import Team
from followups.models import FollowUp
from scoring import queries
from surveys.models import CUSTOMER_KIND_CHOICES, Category
from webhooks.events import emit_scheduled, subscribers

EVENT = "summary.weekly"


def week_bounds(today: date) -> tuple[date, date]:
    """Monday–Sunday of the week before `today`."""
    this_monday = today - timedelta(days=today.weekday())
    return this_monday - timedelta(days=7), this_monday - timedelta(days=1)


def is_digest_time(now) -> bool:
    """Monday (DIGEST_WEEKDAY) from DIGEST_HOUR on, in the company's time zone: when the team leads'
    weekly report goes out by default (scoring.subscriptions), and with it the channels' summary."""
    local = timezone.localtime(now, ZoneInfo(settings.TIME_ZONE))
    return local.weekday() == settings.KRINGLOOP["DIGEST_WEEKDAY"] and local.hour >= settings.KRINGLOOP["DIGEST_HOUR"]


def _nps(change) -> str:
    current = change.current
    if not current.n:
        return _("no answers")
    text = _("%(nps)+d (n = %(n)s, ± %(margin)s)") % {
        "nps": current.nps_display,
        "n": current.n,
        "margin": round(current.margin),
    }
    if change.delta is not None:
        text += " · " + _("%(delta)+d since the week before") % {"delta": round(change.delta)}
    return text


def summary_data(team: Team | None, start, end) -> dict:
    """The summary of `team` (None: every team) for the week start–end, in the active language."""
    rows = []
    for kind, label in CUSTOMER_KIND_CHOICES:
        change = queries.nps_summary(
            queries.Filters(start=start, end=end, kind=kind, period="custom", team=team.pk if team else None)
        )
        if change.current.n or change.previous.n:
            rows.append({"label": _("%(kind)s NPS") % {"kind": label}, "value": _nps(change)})
    scope = Q(team=team) if team else Q()
    week = queries.Filters(start=start, end=end, kind="all", period="custom", team=team.pk if team else None)
    detractors = queries.responses(week).filter(category=Category.DETRACTOR).count()
    overdue = FollowUp.objects.filter(scope, FollowUp.overdue_condition()).count()
    rows.append({"label": _("New detractors"), "value": str(detractors)})
    rows.append({"label": _("Overdue cases"), "value": str(overdue)})
    return {
        "summary": {
            "team": team.name if team else _("every team"),
            "start": formats.date_format(start, "SHORT_DATE_FORMAT"),
            "end": formats.date_format(end, "SHORT_DATE_FORMAT"),
            "rows": rows,
            "url": absolute_url(reverse("scoring:dashboard") + (f"?team={team.pk}" if team else "")),
        }
    }


def post_weekly_summaries(*, now=None, force: bool = False) -> int:
    """Post last week's summary to each channel that asked for it (Monday from DIGEST_HOUR, like
    the digest e-mail). Returns how many deliveries were made now; running again makes none."""
    now = now or timezone.now()
    if not force and not is_digest_time(now):
        return 0
    wanted = {sub.team_id for sub in subscribers() if EVENT in sub.events}
    if not wanted:
        return 0
    start, end = week_bounds(timezone.localtime(now, ZoneInfo(settings.TIME_ZONE)).date())
    teams = {team.pk: team for team in Team.objects.filter(pk__in=[pk for pk in wanted if pk])}
    made = 0
    for team_id in sorted(wanted, key=lambda pk: pk or 0):
        team = teams.get(team_id)
        if team_id and team is None:
            continue
        with translation.override(team.language if team else settings.LANGUAGE_CODE):
            data = summary_data(team, start, end)
        made += emit_scheduled(EVENT, key=f"{start.isoformat()}:{team_id or 'all'}", data=data, team_id=team_id)
    return made
