"""How customers move (#23.4): from one answer to the same customer's next one in the same series,
under the dashboard's filters.

A series is a customer's relational answers (whatever the relational campaign), or their answers
to one transactional campaign. Each answer in the period (matching the filters) that has an earlier
answer in its series is one move: from the earlier answer's category to its own. The transition
matrix counts the moves, with each row's percentages (of the customers who were, say, passive
before: how many stayed, rose, slid); per team it uses the later answer's team.

The loop's effect: of the moves that start from a detractor, those whose earlier answer had a case
that was resolved, against those whose earlier answer had no case; the share of each that moved
up (to passive or promoter). Counted in SQL with window functions over the answers of the
customers who answered in the period; nothing here writes.
"""

from django.db.models import BigIntegerField, Case, F, IntegerField, Max, OuterRef, Q, Subquery, Value, When, Window
from django.db.models.functions import Lag

from followups.models import FollowUp
from scoring.filters import Filters, dimension_q, responses, segment_q
from surveys.models import Campaign, Category, Response

ORDER = (Category.DETRACTOR, Category.PASSIVE, Category.PROMOTER)
RANK = {category: i for i, category in enumerate(ORDER)}
RESOLVED, NO_CASE, OTHER = "resolved", "none", "other"


def _moves(filters: Filters):
    """(team id, team name, before, after, the earlier answer's case: resolved/none/other, n)."""
    wanted = (
        dimension_q(filters)
        & segment_q(filters)
        & Q(submitted_at__gte=filters.start_dt, submitted_at__lt=filters.end_dt)
    )
    series = Case(
        When(kind=Campaign.Kind.RELATIONAL, then=Value(0)), default=F("campaign_id"), output_field=BigIntegerField()
    )
    window = {
        "partition_by": [F("contact_id"), series],
        "order_by": [F("submitted_at").asc(), F("id").asc()],
    }
    case_status = FollowUp.objects.filter(response_id=OuterRef("pk")).values("status")[:1]
    customers = responses(filters).exclude(contact_id=None).values("contact_id")
    rows = (
        Response.objects.filter(contact_id__in=customers)
        .annotate(
            before=Window(Lag("category"), **window),
            before_case=Window(Lag(Subquery(case_status)), **window),
            wanted=Window(
                Max(Case(When(wanted, then=1), default=0, output_field=IntegerField())), partition_by=[F("id")]
            ),
        )
        .filter(before__isnull=False, wanted=1)
        .values_list("team_id", "team__name", "before", "category", "before_case")
    )
    counted: dict[tuple, int] = {}
    for team_id, team, before, after, status in rows.iterator(chunk_size=5000):
        case = NO_CASE if status is None else RESOLVED if status == FollowUp.Status.RESOLVED else OTHER
        key = (team_id, team or "", before, after, case)
        counted[key] = counted.get(key, 0) + 1
    return counted


def _matrix(moves: dict) -> dict:
    """{"rows": [{"from", "cells": [{"to", "n", "share"}], "total"}], "total", "slid", "rose"}."""
    rows, total = [], 0
    for before in ORDER:
        cells = [{"to": after, "n": moves.get((before, after), 0)} for after in ORDER]
        row_total = sum(cell["n"] for cell in cells)
        for cell in cells:
            cell["share"] = cell["n"] / row_total if row_total else None
        rows.append({"from": before, "cells": cells, "total": row_total})
        total += row_total
    rose = sum(n for (before, after), n in moves.items() if RANK[after] > RANK[before])
    slid = sum(n for (before, after), n in moves.items() if RANK[after] < RANK[before])
    return {"rows": rows, "total": total, "rose": rose, "slid": slid}


def movement(filters: Filters) -> dict:
    """The transition matrix overall and per team, and the effect of resolved cases on detractors."""
    counted = _moves(filters)
    overall: dict = {}
    teams: dict = {}
    loop = {RESOLVED: [0, 0], NO_CASE: [0, 0], OTHER: [0, 0]}  # [moves from detractor, of which up]
    for (team_id, team, before, after, case), n in counted.items():
        overall[(before, after)] = overall.get((before, after), 0) + n
        moves = teams.setdefault((team_id, team), {})
        moves[(before, after)] = moves.get((before, after), 0) + n
        if before == Category.DETRACTOR:
            loop[case][0] += n
            loop[case][1] += n if RANK[after] > RANK[before] else 0
    return {
        "overall": _matrix(overall),
        "by_team": [
            {"team": name, "matrix": _matrix(moves)}
            for (_pk, name), moves in sorted(teams.items(), key=lambda item: (item[0][1] == "", item[0][1].lower()))
        ],
        "loop": {case: {"n": n, "up": up, "share": up / n if n else None} for case, (n, up) in loop.items()},
    }
