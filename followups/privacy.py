"""followups' part of a data-subject request (core/privacy.py runs every app's part): the contact's
cases with their history, and the improvement notices sent to them."""

from core import privacy
from followups.models import FollowUp, FollowUpEvent, ImprovementNotice

# Event kinds whose free text may hold what the customer said or personal details.
_PERSONAL_EVENT_KINDS = (FollowUpEvent.Kind.NOTE, FollowUpEvent.Kind.ATTEMPT, FollowUpEvent.Kind.REPLY)


def register() -> None:
    """Called from FollowupsConfig.ready()."""
    privacy.register("followups", export=export_part, erase=erase_part)


def export_part(contact) -> dict:
    followups = FollowUp.objects.filter(contact=contact).prefetch_related("events", "tags").order_by("created_at")
    return {
        "followups": [
            {
                "id": f.pk,
                "status": f.status,
                "category": f.category,
                "created_at": privacy.iso(f.created_at),
                "closed_at": privacy.iso(f.closed_at),
                "outcome": f.outcome,
                "resolution_summary": f.resolution_summary,
                "tags": [t.name for t in f.tags.all()],
                "history": [{"kind": e.kind, "text": e.text, "at": privacy.iso(e.created_at)} for e in f.events.all()],
            }
            for f in followups
        ],
        "improvement_notices": [
            {"improvement": n.improvement.title, "status": n.status, "sent_at": privacy.iso(n.sent_at)}
            for n in ImprovementNotice.objects.filter(contact=contact).select_related("improvement")
        ],
    }


def erase_part(contact) -> None:
    """What was written about or to the contact goes; the cases themselves (and their statuses,
    categories and dates, which the reports count) stay."""
    FollowUp.objects.filter(contact=contact).update(resolution_summary="", outcome="", closed_reason="")
    FollowUpEvent.objects.filter(followup__contact=contact, kind__in=_PERSONAL_EVENT_KINDS).update(text="", data={})
