"""Employee NPS (eNPS, #25.5): employees' answers to campaigns of kind "employee", reported apart
from customers' NPS and anonymous by design.

- No per-person view: this page shows groups only; every customer reader leaves employee answers
  out (scoring.filters.dimension_q, the contact pages, the API, the exports, webhooks, themes).
- No cut smaller than the minimum group (CompanySettings.enps_min_group, at least FLOOR = 5; an
  admin may raise it, never lower it): a group under it shows no figure, only that it is too small.
  A group that could be worked out by subtraction (the whole minus the groups shown) is hidden too:
  when the hidden groups together hold fewer than the minimum, the smallest shown group is hidden
  with them, until they hold none or enough.
- Comments only of a group of at least enps_comment_min answers, without score, date or name, in
  alphabetical order (not the order they came in).
- No case unless the employee asked to be contacted (followups.routing.wants_followup).
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from scoring import queries
from scoring.filters import Filters
from scoring.models import CompanySettings
from surveys.models import Campaign
from surveys.nps import NpsResult

FLOOR = 5  # the smallest group an admin can ever allow
KIND = Campaign.Kind.EMPLOYEE
PERIODS = {"90d": 90, "180d": 180, "365d": 365}


@dataclass(frozen=True)
class Thresholds:
    min_group: int
    comment_min: int


def thresholds() -> Thresholds:
    company = CompanySettings.objects.filter(pk=1).first()
    if company is None:
        return Thresholds(FLOOR, 10)
    return Thresholds(max(company.enps_min_group, FLOOR), max(company.enps_comment_min, company.enps_min_group, FLOOR))


def thresholds_set(*, actor, min_group: int, comment_min: int) -> Thresholds:
    """Raise (or lower back towards) the anonymity thresholds; never below FLOOR. Audit-logged."""
    if min_group < FLOOR:
        raise ValidationError(_("An eNPS group is never smaller than %(floor)s answers.") % {"floor": FLOOR})
    if comment_min < min_group:
        raise ValidationError(_("Comments need at least as many answers as the smallest group shown."))
    with transaction.atomic():
        company = CompanySettings.objects.select_for_update().filter(pk=1).first() or CompanySettings(pk=1)
        before = {"min_group": company.enps_min_group, "comment_min": company.enps_comment_min}
        company.enps_min_group, company.enps_comment_min = min_group, comment_min
        company.save()
        audit_log(
            actor=actor,
            action="enps.thresholds",
            target=company,
            data={"before": before, "min_group": min_group, "comment_min": comment_min},
        )
    return Thresholds(min_group, comment_min)


def period_filters(period: str, *, teams: tuple | None = None, team: int | None = None, today: date | None = None):
    """The employee filters for a period ending today (a reader's team scope kept)."""
    today = today or timezone.localdate()
    days = PERIODS.get(period, 365)
    return Filters(start=today - timedelta(days=days - 1), end=today, kind=KIND, period=period, teams=teams, team=team)


def shown(result: NpsResult | None, limits: Thresholds) -> bool:
    return result is not None and result.n >= limits.min_group


def suppress(rows: list[dict], limits: Thresholds) -> list[dict]:
    """Mark each group row `hidden` when it is under the minimum, or when the hidden groups together
    would be under it (then the whole minus the shown groups would reveal them): the smallest shown
    groups are hidden as well until the hidden ones hold none or at least the minimum."""
    for row in rows:
        row["hidden"] = row["result"].n < limits.min_group
    while True:
        hidden_n = sum(row["result"].n for row in rows if row["hidden"])
        visible = sorted((row for row in rows if not row["hidden"]), key=lambda row: row["result"].n)
        # Groups shown add up to the whole minus the hidden: only a hidden remainder of 1 to min-1 tells.
        if hidden_n == 0 or hidden_n >= limits.min_group or not visible:
            break
        visible[0]["hidden"] = True
    for row in rows:
        if row["hidden"]:
            row["result"] = None  # nothing of it leaves this module, not even its n
    return rows


def report(filters: Filters, *, segment_key: str = "", personal: bool = False) -> dict:
    """The eNPS page: the whole (if large enough), its change against the period before (if both
    are), by team and by one employee attribute, by month, and comments (large groups only)."""
    limits = thresholds()
    if filters.kind != KIND:
        raise ValueError("The eNPS report reads employee answers only.")
    with queries.one_look():
        summary = queries.nps_summary(filters)
        total = summary.current
        by_team = suppress(queries.nps_by(filters, "team"), limits)
        by_segment = (
            suppress(queries.nps_by_segment(filters, segment_key), limits)
            if segment_key and queries.valid_key(segment_key)
            else []
        )
        months = [{"label": row["period"], **row} for row in queries.nps_by_period(filters, "month")]
        months = suppress(months, limits)
    whole = total if shown(total, limits) else None
    change = summary if whole is not None and shown(summary.previous, limits) else None
    comments = []
    if personal and whole is not None and total.n >= limits.comment_min:
        comments = sorted(
            queries.responses(filters).exclude(comment="").values_list("comment", flat=True)[:200], key=str.lower
        )
    return {
        "filters": filters,
        "limits": limits,
        "whole": whole,
        "change": change,
        "by_team": by_team,
        "by_segment": by_segment,
        "segment_key": segment_key,
        "months": months,
        "comments": comments,
        "comments_hidden": personal and whole is not None and total.n < limits.comment_min,
    }
