"""The praise wall page (any staff role): a team's latest promoter comments."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.models import Team
from core.roles import viewer_required
from followups.praise_queries import praise_wall


@viewer_required
@require_GET
def praise_wall_page(request):
    teams = list(Team.objects.order_by("name"))
    chosen = request.GET.get("team", "")
    team = next((t for t in teams if str(t.pk) == chosen), None)
    if team is None and not chosen:
        team = next((t for t in teams if request.user.teams.filter(pk=t.pk).exists()), None)
    return render(request, "followups/praise_wall.html", {"teams": teams, "team": team, "answers": praise_wall(team)})
