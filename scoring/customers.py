"""Comments and customers: the latest comments, the comment list, the customers whose score
dropped (from LatestScore, and live for the customers it does not cover yet) and a customer's
history."""

import json

from django.db.models import F, Q, Window
from django.db.models.functions import Lag

from scoring import freshness
from scoring.filters import Filters, dimension_q, kind_matches, responses, segment_q
from scoring.models import LatestScore
from scoring.recount import latest_rows
from scoring.theme_report import theme_response_ids
from surveys.models import CUSTOMER_KINDS, Category, Response

LIVE_CONTACTS = 20_000  # stale customers named by id in the at-risk query; past this, a subquery
RANK = {Category.DETRACTOR: 0, Category.PASSIVE: 1, Category.PROMOTER: 2}


def latest_comments(filters: Filters, *, category: str | None = None, limit: int = 5):
    qs = responses(filters, with_category=category is None, with_search=True).exclude(comment="")
    if category:
        qs = qs.filter(category=category)
    return qs.select_related("campaign", "touchpoint", "contact").order_by("-submitted_at")[:limit]


def comment_list(filters: Filters, *, theme: int | None = None):
    """The comments under the filters, newest first; with `theme`, only those naming it."""
    qs = responses(filters, with_category=True, with_search=True)
    if theme:
        qs = qs.filter(pk__in=theme_response_ids(filters, theme))
    return qs.exclude(comment="").select_related("campaign", "touchpoint", "contact").order_by("-submitted_at", "-id")


def dropped() -> Q:
    """A latest answer a category or 3+ points below the customer's previous one."""
    return (
        Q(prev_score__gte=F("score") + 3)
        | Q(prev_category=Category.PROMOTER, category__in=[Category.PASSIVE, Category.DETRACTOR])
        | Q(prev_category=Category.PASSIVE, category=Category.DETRACTOR)
    )


def at_risk(filters: Filters, *, limit: int = 10) -> list[LatestScore]:
    """Customers whose latest answer (per survey type), given in the period, dropped a category or
    3+ points from their previous one. Newest first."""
    coverage = freshness.current()
    rows = []
    if coverage.contacts is not freshness.EVERYONE:
        qs = LatestScore.objects.filter(
            dropped(),
            dimension_q(filters),
            prev_score__isnull=False,
            submitted_at__gte=filters.start_dt,
            submitted_at__lt=filters.end_dt,
        ).order_by("-submitted_at")
        if filters.segment_key:
            qs = qs.filter(segment_q(filters, attributes="attributes"))
        if coverage.contacts:
            qs = qs.exclude(freshness.stale_contacts_q(coverage.contacts))
        rows = list(qs.filter(response__contact_id__isnull=False)[:limit])  # a deleted contact leaves NULL
    if coverage.contacts != []:
        rows += _at_risk_live(filters, coverage.contacts, limit)
    rows = sorted(rows, key=lambda row: row.submitted_at, reverse=True)[:limit]
    responses_by_id = Response.objects.select_related("contact", "campaign").in_bulk([r.response_id for r in rows])
    for row in rows:
        row.response = responses_by_id[row.response_id]
        row.dropped_category = RANK[row.category] < RANK[row.prev_category]
    return rows


def _at_risk_live(filters: Filters, contacts, limit: int) -> list[LatestScore]:
    """at_risk() for the customers LatestScore does not cover yet, counted as the refresh counts
    LatestScore (each one's latest answer per kind and the one before, with LAG), over the answers
    of those of them who answered in the period; the period and filters are checked here."""
    answers = Response.objects.filter(contact_id__in=_answered(filters, contacts))
    wanted = {name: getattr(filters, name) or None for name in ("campaign", "touchpoint", "team")}
    found = []
    latest = latest_rows(answers).filter(prev_score__isnull=False).order_by("-submitted_at")
    for row in latest.iterator(chunk_size=1000):
        if not filters.start_dt <= row["submitted_at"] < filters.end_dt or not _dropped(row):
            continue
        if not kind_matches(filters, row["kind"]):
            continue
        if any(value and row[f"{name}_id"] != value for name, value in wanted.items()):
            continue
        if (filters.channel and row["channel"] != filters.channel) or (
            filters.language and row["language"] != filters.language
        ):
            continue
        if filters.segment_key and _as_text(row["attributes"], filters.segment_key) != filters.segment_value:
            continue
        found.append(LatestScore(**row))
        if len(found) == limit:
            break
    return found


def _answered(filters: Filters, contacts):
    """Those of the stale customers who answered in the period: as ids when they are few (the
    common case: today's answerers; the database then plans the LAG over their answers alone),
    else as a subquery."""
    answered = responses(filters).exclude(contact_id=None)
    if contacts is not freshness.EVERYONE:
        ids = set()
        for subquery in contacts:  # one at a time: an OR of two subqueries defeats the index
            found = answered.filter(contact_id__in=subquery).values_list("contact_id", flat=True).distinct()
            ids.update(found.order_by()[: LIVE_CONTACTS + 1])
            if len(ids) > LIVE_CONTACTS:
                break
        else:
            return ids
    return answered.filter(freshness.stale_contacts_q(contacts)).values("contact_id")


def _dropped(row: dict) -> bool:
    """dropped(), for a row counted here."""
    return row["prev_score"] >= row["score"] + 3 or RANK[row["category"]] < RANK[row["prev_category"]]


def _as_text(attributes, key: str):
    """An attribute as the database's ->> gives it (text; JSON for anything but a string)."""
    if not isinstance(attributes, dict) or attributes.get(key) is None:
        return None
    value = attributes[key]
    return value if isinstance(value, str) else json.dumps(value)


def contact_history(contact_id: int) -> list[Response]:
    """A contact's answers, oldest first, each with the change from the previous one of its kind."""
    previous = Window(Lag("score"), partition_by=[F("kind")], order_by=[F("submitted_at").asc(), F("id").asc()])
    return list(
        Response.objects.filter(contact_id=contact_id, kind__in=CUSTOMER_KINDS)  # never an employee's eNPS
        .annotate(prev_score=previous)
        .select_related("campaign", "touchpoint")
        .order_by("submitted_at", "id")
    )
