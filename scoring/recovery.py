"""Recovery after the loop: did closing a detractor's or passive's case win them back?

Defined (README, "Recovery after the loop"): the cases closed (resolved or closed) in the period
whose answer was a detractor's or a passive's and matches the dashboard's filters (survey type,
campaign, touchpoint, team, channel, language, segment, and the viewer's teams). Of those, the
customers who *answered again*: the same contact gave any later answer, to any survey, after the
case was closed; only that first later answer counts. They *recovered* when that answer's category
is higher than the one the case was opened for (detractor → passive or promoter, passive →
promoter); the migration table shows every from → to pair. Per team: the team of the case's answer.
Counted live (cases are few next to answers); nothing here writes.
"""

from django.db.models import Count, OuterRef, Subquery

from followups.models import FollowUp
from scoring.filters import Filters, dimension_q, segment_q
from surveys.models import Category, Response

RANK = {Category.DETRACTOR: 0, Category.PASSIVE: 1, Category.PROMOTER: 2}
FROM = (Category.DETRACTOR, Category.PASSIVE)


def _empty() -> dict:
    return {"closed": 0, "answered_again": 0, "recovered": 0, "moves": {}}


def recovery(filters: Filters) -> dict:
    """Recovery overall and per team: closed cases, answered again, recovered, the recovery rate
    (recovered / answered again), the answer-again rate, and the category migration counts
    (`moves[(from, to)]`, `to` None for no later answer)."""
    later = (
        Response.objects.filter(contact_id=OuterRef("response__contact_id"), submitted_at__gt=OuterRef("closed_at"))
        .order_by("submitted_at", "pk")
        .values("category")[:1]
    )
    cases = (
        FollowUp.objects.filter(
            dimension_q(filters, "response__") & segment_q(filters, "response__"),
            status__in=[FollowUp.Status.RESOLVED, FollowUp.Status.CLOSED],
            closed_at__gte=filters.start_dt,
            closed_at__lt=filters.end_dt,
            response__category__in=FROM,
            response__contact__isnull=False,
        )
        .annotate(next_category=Subquery(later))
        .values("response__team_id", "response__team__name", "response__category", "next_category")
        .annotate(n=Count("pk"))
        .order_by()
    )
    overall, teams = _empty(), {}
    for row in cases:
        team = teams.setdefault(row["response__team_id"], {"team": row["response__team__name"] or "", **_empty()})
        for bucket in (overall, team):
            _add(bucket, row["response__category"], row["next_category"], row["n"])
    for bucket in (overall, *teams.values()):
        _rates(bucket)
    return {
        "overall": overall,
        "by_team": sorted(teams.values(), key=lambda t: (t["team"] == "", t["team"].lower())),
        "migration": _migration(overall),
    }


def _add(bucket: dict, start: str, end: str | None, n: int) -> None:
    bucket["closed"] += n
    bucket["moves"][(start, end)] = bucket["moves"].get((start, end), 0) + n
    if end is not None:
        bucket["answered_again"] += n
        if RANK[end] > RANK[start]:
            bucket["recovered"] += n


def _rates(bucket: dict) -> None:
    bucket["rate"] = bucket["recovered"] / bucket["answered_again"] if bucket["answered_again"] else None
    bucket["answer_again_rate"] = bucket["answered_again"] / bucket["closed"] if bucket["closed"] else None


def _migration(bucket: dict) -> list[dict]:
    """The from → to table: one row per starting category, the later answers' categories as columns."""
    rows = []
    for start in FROM:
        cells = {end: bucket["moves"].get((start, end), 0) for end in (*RANK, None)}
        rows.append(
            {
                "from": start,
                "detractor": cells[Category.DETRACTOR],
                "passive": cells[Category.PASSIVE],
                "promoter": cells[Category.PROMOTER],
                "none": cells[None],
                "total": sum(cells.values()),
            }
        )
    return rows
