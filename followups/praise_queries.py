"""The praise wall: the latest promoter comments of a team (its answers, and those praising it or
its members), with whom each praised."""

from django.db.models import Prefetch, Q

from core.models import Team
from followups.models import Kudos
from surveys.models import CUSTOMER_KINDS, Category, Response

SHOWN = 60


def praise_wall(team: Team | None, *, limit: int = SHOWN) -> list[Response]:
    answers = Response.objects.filter(category=Category.PROMOTER, kind__in=CUSTOMER_KINDS).exclude(comment="")
    if team is not None:
        answers = answers.filter(
            Q(team=team) | Q(kudos__team=team) | Q(kudos__user__teams=team) | Q(kudos__user__led_teams=team)
        )
    ids = list(answers.order_by("-submitted_at", "-pk").values_list("pk", flat=True).distinct()[: limit * 3])
    ids = list(dict.fromkeys(ids))[:limit]
    return list(
        Response.objects.filter(pk__in=ids)
        .select_related("touchpoint", "team")
        .prefetch_related(Prefetch("kudos", queryset=Kudos.objects.select_related("user", "team")))
        .order_by("-submitted_at", "-pk")
    )
