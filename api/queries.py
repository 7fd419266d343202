"""The API's reads: querysets for its lists, filtered by query parameters already validated by
api.filters. Aggregates (the NPS summary) come from scoring.queries, as on the dashboard."""

from django.db.models import Prefetch
from django.utils import timezone

from followups.models import FollowUp, FollowUpEvent
from surveys.models import CUSTOMER_KINDS, Answer, Contact, Invitation, Response


def contacts(params: dict):
    qs = Contact.objects.filter(erased_at__isnull=True).select_related("account_owner")
    if params.get("email"):
        qs = qs.filter(email__iexact=params["email"])
    if params.get("external_id"):
        qs = qs.filter(external_id=params["external_id"])
    if params.get("updated_since"):
        qs = qs.filter(updated_at__gte=params["updated_since"])
    if params.get("opted_out") is not None:
        qs = qs.filter(opted_out_at__isnull=not params["opted_out"])
    return qs


def invitations():
    return Invitation.objects.filter(trigger_key__isnull=False)


def responses(params: dict):
    qs = Response.objects.filter(kind__in=CUSTOMER_KINDS)  # never an employee's anonymous eNPS answer
    if params.get("submitted_from"):
        qs = qs.filter(submitted_at__gte=params["submitted_from"])
    if params.get("submitted_to"):
        qs = qs.filter(submitted_at__lt=params["submitted_to"])
    for name in ("campaign", "touchpoint", "team", "contact"):
        if params.get(name):
            qs = qs.filter(**{f"{name}_id": params[name]})
    for name in ("category", "kind", "channel"):
        if params.get(name):
            qs = qs.filter(**{name: params[name]})
    return qs


def response_detail():
    return Response.objects.filter(kind__in=CUSTOMER_KINDS).prefetch_related(
        Prefetch("answers", queryset=Answer.objects.select_related("question").order_by("question__order", "pk"))
    )


def followups(params: dict):
    qs = FollowUp.objects.select_related("owner").prefetch_related("tags")
    if params.get("status"):
        qs = qs.filter(status=params["status"])
    if params.get("owner"):
        qs = qs.filter(owner__username=params["owner"])
    for name in ("team", "response", "contact"):
        if params.get(name):
            qs = qs.filter(**{f"{name}_id": params[name]})
    if params.get("category"):
        qs = qs.filter(category=params["category"])
    if params.get("overdue") is not None:
        late = {"status__in": FollowUp.OPEN_STATUSES, "due_at__lt": timezone.now()}
        qs = qs.filter(**late) if params["overdue"] else qs.exclude(**late)
    return qs


def followup_detail():
    return FollowUp.objects.select_related("owner").prefetch_related(
        "tags", Prefetch("events", queryset=FollowUpEvent.objects.select_related("actor"))
    )
