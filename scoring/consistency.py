"""The rollups' part of `manage.py check_data` (core.consistency): every figure the dashboard shows,
read as the dashboard reads it (the rollups for what they cover, the rest live: scoring.freshness),
equals the same figure counted from the answers alone.

The figures come from the dashboard's own readers (scoring.panels, scoring.drivers,
scoring.customers), once as a page sees them and once inside freshness.counted_live(): no second
way of counting, so what is compared is exactly what people are shown. Both readings cover every
answer: a custom period from the first answer to today, for each survey type.
"""

from datetime import timedelta

from django.db.models import Min
from django.utils import timezone

from core.consistency import Context, Finding, register
from scoring import freshness
from scoring.customers import at_risk
from scoring.drivers import driver_results
from scoring.filters import KINDS, parse_filters
from scoring.panels import (
    DIMENSIONS,
    delivery_funnel,
    nps_by,
    nps_by_period,
    nps_by_segment,
    nps_summary,
    score_distribution,
)
from scoring.recount import SEGMENT_KEYS
from surveys.models import Invitation, Response

AT_RISK = 500  # customers at risk compared (newest first)


def _counts(result) -> tuple:
    return (result.promoters, result.passives, result.detractors)


def everything(kind: str, today=None):
    """Filters covering every answer and every sent invitation, for one survey type."""
    today = today or timezone.localdate()
    first = [
        Response.objects.aggregate(m=Min("submitted_at"))["m"],
        Invitation.objects.aggregate(m=Min("sent_at"))["m"],
    ]
    first = min((timezone.localdate(t) for t in first if t is not None), default=today)
    first = max(first, today - timedelta(days=3660))  # the longest custom period a filter takes
    return parse_filters({"kind": kind, "period": "custom", "start": first.isoformat(), "end": today.isoformat()})


def figures(filters) -> dict:
    """Every figure of the dashboard's NPS panels under `filters`: {figure name: plain value}."""
    summary = nps_summary(filters)
    shown = {
        "nps this period": _counts(summary.current),
        "nps previous period": _counts(summary.previous),
        "score distribution": score_distribution(filters),
        "trend by month": [(str(r["period"]), _counts(r["result"])) for r in nps_by_period(filters, "month")],
    }
    for dimension in DIMENSIONS:
        shown[f"nps by {dimension}"] = sorted((str(r["key"]), _counts(r["result"])) for r in nps_by(filters, dimension))
    for key in SEGMENT_KEYS:
        shown[f"nps by segment {key}"] = sorted(
            (str(r["key"]), _counts(r["result"])) for r in nps_by_segment(filters, key)
        )
    shown["drivers"] = sorted(
        (d["question"].pk, str(a["label"]), _counts(a["result"])) for d in driver_results(filters) for a in d["answers"]
    )
    funnel = delivery_funnel(filters)
    shown["delivery funnel"] = {k: funnel[k] for k in ("invited", "bounced", "delivered", "answered", "commented")}
    risky = at_risk(filters, limit=AT_RISK)
    shown["customers at risk"] = (
        sorted(r.response_id for r in risky) if len(risky) < AT_RISK else [str(r.submitted_at) for r in risky]
    )
    return shown


def _difference(shown, counted) -> str:
    if isinstance(shown, dict):
        return ", ".join(
            f"{k}: shown {shown[k]}, counted {counted.get(k)}" for k in shown if shown[k] != counted.get(k)
        )
    if isinstance(shown, list) and isinstance(counted, list) and all(isinstance(r, tuple) for r in shown + counted):
        left, right = set(shown), set(counted)
        return f"shown only {sorted(left - right)[:3]}; counted only {sorted(right - left)[:3]}"
    return f"shown {shown}, counted {counted}"


def mismatches(today=None) -> list[tuple[str, str]]:
    """(figure, what differs) for every dashboard figure the rollups get wrong, over every answer."""
    found = []
    for kind in KINDS:
        filters = everything(kind, today)
        with freshness.one_look():
            shown = figures(filters)
        with freshness.counted_live():
            counted = figures(filters)
        found += [
            (f"{kind}: {name}", _difference(shown[name], counted[name]))
            for name in shown
            if shown[name] != counted[name]
        ]
    return found


def rollups(context: Context) -> list[Finding]:
    found = mismatches(timezone.localdate(context.now))
    if not found:
        return []
    return [
        Finding(
            "rollups",
            "dashboard figures that differ from a count of the answers "
            "(a full recount heals them: manage.py refresh_rollup --full)",
            len(found),
            [f"{name}: {detail}"[:300] for name, detail in found[:5]],
        )
    ]


def register_checks() -> None:
    register("rollups", rollups)
