"""The journey (#23.5): transactional NPS per touchpoint in the order admins set along the journey
(surveys.touchpoints), each with n, margin and the change from the previous period of the same
length, next to relational NPS; the weakest step is the touchpoint with the lowest NPS among those
with enough answers (settings MIN_RESPONSES). Under the dashboard's filters, except that the survey
type and touchpoint filters are the page's own: each row is one touchpoint's transactional answers."""

from dataclasses import replace

from scoring.filters import Filters
from scoring.nps import NpsChange, nps_from_counts
from scoring.panels import nps_by, nps_summary
from surveys.models import Campaign, Touchpoint


def journey(filters: Filters) -> dict:
    """{"steps": [{"touchpoint", "change": NpsChange, "weakest": bool}], "relational": NpsChange,
    "weakest": the weakest step or None}."""
    transactional = replace(filters, kind=Campaign.Kind.TRANSACTIONAL, touchpoint=None)
    now = {row["key"]: row["result"] for row in nps_by(transactional, "touchpoint")}
    before = {row["key"]: row["result"] for row in nps_by(transactional.previous(), "touchpoint")}
    empty = nps_from_counts(promoters=0, passives=0, detractors=0)
    steps = [
        {"touchpoint": touchpoint, "change": NpsChange(now.get(touchpoint.pk, empty), before.get(touchpoint.pk, empty))}
        for touchpoint in Touchpoint.objects.order_by("order", "name")
    ]
    scored = [step for step in steps if step["change"].current.n and not step["change"].current.too_few]
    weakest = min(scored, key=lambda step: step["change"].current.nps) if scored else None
    for step in steps:
        step["weakest"] = step is weakest
    relational = nps_summary(replace(filters, kind=Campaign.Kind.RELATIONAL, touchpoint=None))
    return {"steps": steps, "relational": relational, "weakest": weakest}
