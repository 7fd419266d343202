"""Reads for the webhook pages."""

import json
from datetime import timedelta

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from webhooks.models import Delivery, Endpoint


def endpoint_rows() -> list[Endpoint]:
    """Every endpoint with its latest delivery and how many failed or are retrying in the last day."""
    latest = Delivery.objects.filter(endpoint=OuterRef("pk")).order_by("-created_at")
    since = timezone.now() - timedelta(days=1)
    rows = list(
        Endpoint.objects.annotate(
            last_status=Subquery(latest.values("status")[:1]),
            last_at=Subquery(latest.values("created_at")[:1]),
            troubled=Count(
                "deliveries",
                filter=Q(deliveries__created_at__gte=since)
                & (
                    Q(deliveries__status=Delivery.Status.FAILED)
                    | Q(deliveries__status=Delivery.Status.PENDING, deliveries__attempts__gt=0)
                ),
            ),
        )
        .select_related("team")
        .order_by("url", "id")
    )
    for row in rows:
        row.last_status_label = Delivery.Status(row.last_status).label if row.last_status else ""
    return rows


def endpoint_deliveries(endpoint: Endpoint, *, status: str = "", event: str = ""):
    deliveries = endpoint.deliveries.all()
    if status in Delivery.Status.values:
        deliveries = deliveries.filter(status=status)
    if event:
        deliveries = deliveries.filter(event=event)
    return deliveries.defer("body").order_by("-created_at")


def pretty_body(delivery: Delivery) -> str:
    """The body as sent, indented for reading (the bytes on the wire are the compact form)."""
    try:
        return json.dumps(json.loads(delivery.body), indent=2, ensure_ascii=False)
    except ValueError:
        return delivery.body
