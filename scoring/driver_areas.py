"""Driver areas (#23.3): what the satisfaction and effort questions say per area of the business,
under the dashboard's filters.

An area groups the driver questions by what they measure (surveys.models.Question.Driver):
process, product and price, reputation, emotional engagement, and other. Only numeric answers
count: satisfaction 1–5 and effort 1–7 (7 = very easy), each normalised to 0–100
((answer − 1) / (top − 1) × 100), so both scales read "higher is better".

Per area:
- **performance**: the average normalised answer (0–100);
- **correlation** (Pearson's r) of the normalised answer with the NPS score (0–10) given with it;
- **importance**: a simple key-driver analysis, each area's share of the squared correlations
  (r² / Σ r², over the areas with answers), in percent: which area moves with the score most;
- **NPS low vs high**: the NPS of the answers in the lower half of the scale (satisfaction 1–2,
  effort 1–3) against those in the upper half (satisfaction 4–5, effort 5–7); the middle is neither.
The 2×2 chart puts importance against performance; the area above the median importance with the
lowest performance is the one to **fix first**.

Counted from the DailyDriverAnswer rollup (answers per question, number and NPS score) for the
days it covers and live from the answers for the rest (scoring.freshness), as the driver panel is.
"""

import math
import statistics

from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _

from scoring import freshness
from scoring.days import on_days
from scoring.filters import Filters, dimension_q, segment_q
from scoring.models import DailyDriverAnswer
from scoring.nps import category_for, nps_from_counts
from scoring.panels import reads_rollup, segment_rollup_q
from surveys.models import Answer, Question

AREAS = {
    "process": (_("Process and touchpoints"), ("process",)),
    "product_price": (_("Product and price"), ("product", "price")),
    "reputation": (_("Reputation"), ("reputation",)),
    "emotional": (_("Emotional engagement"), ("emotional",)),
    "other": (_("Other"), ("other",)),
}
AREA_OF = {driver: area for area, (_label, drivers) in AREAS.items() for driver in drivers}
TOP = {Question.Kind.CSAT: 5, Question.Kind.EFFORT: 7}
NUMERIC = tuple(TOP)


def _rows(filters: Filters) -> list[tuple[int, int, int, int]]:
    """(question id, number, NPS score, answers) of the numeric driver answers under the filters."""
    coverage = freshness.current()
    live = Answer.objects.filter(
        dimension_q(filters, "response__") & segment_q(filters, "response__"),
        response__submitted_at__gte=filters.start_dt,
        response__submitted_at__lt=filters.end_dt,
        question__kind__in=NUMERIC,
        number__isnull=False,
    )
    rows = []
    if reads_rollup(filters, coverage):
        qs = DailyDriverAnswer.objects.filter(
            dimension_q(filters),
            segment_rollup_q(filters),
            day__gte=filters.start,
            day__lte=filters.end,
            number__isnull=False,
        )
        if coverage.days:
            qs = qs.exclude(on_days(coverage.days))
        rows += list(qs.values_list("question_id", "number", "score").annotate(t=Sum("n")).order_by())
        live = live.filter(freshness.stale_days_q(coverage.days, "response__submitted_at")) if coverage.days else None
    if live is not None:
        grouped = live.values_list("question_id", "number", "response__score").annotate(t=Count("pk"))
        rows += list(grouped.order_by())
    return rows


def driver_areas(filters: Filters) -> dict:
    """{"areas": [per area: key, label, n, performance, correlation, importance, low, high (NpsResult),
    quadrant], "fix_first": the area to fix first or None, "median_importance", "median_performance"}."""
    rows = _rows(filters)
    questions = dict(Question.objects.filter(pk__in={r[0] for r in rows}).values_list("pk", "kind"))
    drivers = dict(Question.objects.filter(pk__in={r[0] for r in rows}).values_list("pk", "driver"))
    sums: dict[str, dict] = {}
    for question_id, number, score, n in rows:
        kind = questions.get(question_id)
        if kind not in TOP or not 1 <= number <= TOP[kind]:
            continue
        x = (number - 1) / (TOP[kind] - 1) * 100
        area = sums.setdefault(
            AREA_OF.get(drivers[question_id], "other"),
            {"n": 0, "x": 0.0, "y": 0.0, "xx": 0.0, "yy": 0.0, "xy": 0.0, "low": [0, 0, 0], "high": [0, 0, 0]},
        )
        area["n"] += n
        area["x"] += x * n
        area["y"] += score * n
        area["xx"] += x * x * n
        area["yy"] += score * score * n
        area["xy"] += x * score * n
        half = "low" if x < 50 else "high" if x > 50 else None
        if half:
            area[half][("promoter", "passive", "detractor").index(category_for(score))] += n
    table = []
    for key, (label, _drivers) in AREAS.items():
        if key not in sums:
            continue
        s = sums[key]
        table.append(
            {
                "key": key,
                "label": label,
                "n": s["n"],
                "performance": s["x"] / s["n"],
                "correlation": _pearson(s),
                "low": nps_from_counts(promoters=s["low"][0], passives=s["low"][1], detractors=s["low"][2]),
                "high": nps_from_counts(promoters=s["high"][0], passives=s["high"][1], detractors=s["high"][2]),
            }
        )
    return _importance(table)


def _pearson(s: dict) -> float | None:
    n = s["n"]
    spread_x = n * s["xx"] - s["x"] ** 2
    spread_y = n * s["yy"] - s["y"] ** 2
    if n < 2 or spread_x <= 0 or spread_y <= 0:
        return None
    return (n * s["xy"] - s["x"] * s["y"]) / math.sqrt(spread_x * spread_y)


def _importance(table: list[dict]) -> dict:
    """Importance (share of r²), the 2×2 quadrants around the medians, and what to fix first."""
    squares = {row["key"]: (row["correlation"] or 0) ** 2 for row in table}
    total = sum(squares.values())
    for row in table:
        row["importance"] = squares[row["key"]] / total * 100 if total else None
    scored = [row for row in table if row["importance"] is not None]
    if not scored:
        return {"areas": table, "fix_first": None, "median_importance": None, "median_performance": None}
    mid_i = statistics.median(row["importance"] for row in scored)
    mid_p = statistics.median(row["performance"] for row in scored)
    for row in scored:
        important, good = row["importance"] >= mid_i, row["performance"] >= mid_p
        row["quadrant"] = ("keep" if good else "fix") if important else ("maintain" if good else "watch")
    candidates = [row for row in scored if row["quadrant"] == "fix"]
    fix_first = min(candidates, key=lambda row: (row["performance"], -row["importance"])) if candidates else None
    return {"areas": table, "fix_first": fix_first, "median_importance": mid_i, "median_performance": mid_p}


def chart(report: dict, width: int = 360, height: int = 240, pad: int = 30) -> dict:
    """The 2×2 chart in SVG units: performance 0–100 across, importance 0–100 up, the quadrants
    split where the classification splits them (the medians), and each area's point and label
    (labels on the right half read leftwards, so they stay inside)."""

    def x(performance):
        return round(pad + performance / 100 * (width - 2 * pad), 1)

    def y(importance):
        return round(height - pad - importance / 100 * (height - 2 * pad), 1)

    if report["median_performance"] is None:
        return {}
    split_x, split_y = x(report["median_performance"]), y(report["median_importance"])
    left, top, right, bottom = pad, pad, width - pad, height - pad
    points = [
        {
            "row": row,
            "x": x(row["performance"]),
            "y": y(row["importance"]),
            "anchor": "end" if row["performance"] > 55 else "start",
        }
        for row in report["areas"]
        if row.get("importance") is not None
    ]
    return {
        "width": width,
        "height": height,
        "quadrants": {
            "fix": (left, top, split_x - left, split_y - top),
            "keep": (split_x, top, right - split_x, split_y - top),
            "watch": (left, split_y, split_x - left, bottom - split_y),
            "maintain": (split_x, split_y, right - split_x, bottom - split_y),
        },
        "points": points,
    }
