"""The eNPS page (employees' NPS, apart from customers'; scoring.enps) and its anonymity settings."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.models import Team
from core.roles import ADMIN, admin_required, answer_teams, has_role, sees_personal_data, viewer_required
from scoring import enps, queries


def _int(raw) -> int | None:
    return int(raw) if raw and raw.isdigit() and 0 < int(raw) < 2**63 else None


@viewer_required
@require_GET
def enps_page(request):
    teams = answer_teams(request.user)
    period = request.GET.get("period") if request.GET.get("period") in enps.PERIODS else "365d"
    team = _int(request.GET.get("team"))
    filters = enps.period_filters(period, teams=teams, team=team)
    segment_key = request.GET.get("by", "")
    context = enps.report(
        filters,
        segment_key=segment_key if queries.valid_key(segment_key) else "",
        personal=sees_personal_data(request.user),
    )
    team_choices = Team.objects.order_by("name")
    if teams is not None:
        team_choices = team_choices.filter(pk__in=teams)
    context.update(
        {
            "periods": [("90d", _("Last 90 days")), ("180d", _("Last 6 months")), ("365d", _("Last 12 months"))],
            "period": period,
            "teams": team_choices,
            "team": team,
            "segment_keys": queries.segment_keys(),
            "admin": has_role(request.user, ADMIN),
        }
    )
    return render(request, "scoring/enps.html", context)


@admin_required
@require_POST
def enps_settings(request):
    try:
        enps.thresholds_set(
            actor=request.user,
            min_group=_int(request.POST.get("min_group")) or 0,
            comment_min=_int(request.POST.get("comment_min")) or 0,
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Anonymity thresholds saved."))
    return redirect("scoring:enps")
