"""Comments and customers: the latest comments, the comment list, the customers whose score
dropped (from LatestScore, and live for the customers it does not cover yet) and a customer's
history."""

from django.db.models import Exists, F, OuterRef, Q, Subquery, Window
from django.db.models.functions import Lag

from scoring import freshness
from scoring import rollup as rollups
from scoring.filters import Filters, dimension_q, responses, segment_q
from scoring.models import LatestScore
from surveys.models import Category, Response

LIVE_FIELDS = ("contact_id", *rollups.DIMENSIONS, "submitted_at", "score", "category")
RANK = {Category.DETRACTOR: 0, Category.PASSIVE: 1, Category.PROMOTER: 2}


def latest_comments(filters: Filters, *, category: str | None = None, limit: int = 5):
    qs = responses(filters, with_category=category is None, with_search=True).exclude(comment="")
    if category:
        qs = qs.filter(category=category)
    return qs.select_related("campaign", "touchpoint", "contact").order_by("-submitted_at")[:limit]


def comment_list(filters: Filters):
    return (
        responses(filters, with_category=True, with_search=True)
        .exclude(comment="")
        .select_related("campaign", "touchpoint", "contact")
        .order_by("-submitted_at", "-id")
    )


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
    """at_risk() for the customers LatestScore does not cover yet, from their answers: an answer
    in the period with no later one of its kind, and the one just before it (index lookups on
    the contact's answers by time)."""
    same_kind = Response.objects.filter(contact_id=OuterRef("contact_id"), kind=OuterRef("kind"))
    at = OuterRef("submitted_at")
    earlier = same_kind.filter(Q(submitted_at__lt=at) | Q(submitted_at=at, id__lt=OuterRef("id")))
    later = same_kind.filter(Q(submitted_at__gt=at) | Q(submitted_at=at, id__gt=OuterRef("id")))
    earlier = earlier.order_by("-submitted_at", "-id")
    rows = (
        responses(filters)
        .filter(freshness.stale_contacts_q(contacts), contact_id__isnull=False)
        .annotate(
            prev_score=Subquery(earlier.values("score")[:1]),
            prev_category=Subquery(earlier.values("category")[:1]),
        )
        .filter(~Exists(later), dropped(), prev_score__isnull=False)
        .order_by("-submitted_at")
        .values(*LIVE_FIELDS, "prev_score", "prev_category", response_id=F("id"))[:limit]
    )
    return [LatestScore(**row) for row in rows]


def contact_history(contact_id: int) -> list[Response]:
    """A contact's answers, oldest first, each with the change from the previous one of its kind."""
    previous = Window(Lag("score"), partition_by=[F("kind")], order_by=[F("submitted_at").asc(), F("id").asc()])
    return list(
        Response.objects.filter(contact_id=contact_id)
        .annotate(prev_score=previous)
        .select_related("campaign", "touchpoint")
        .order_by("submitted_at", "id")
    )
