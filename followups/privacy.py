"""followups' part of a data-subject request (core/privacy.py runs every app's part): the contact's
cases with their history, and the improvement notices sent to them; and its part of the nightly
retention run (core/retention.py): customers' e-mails older than the admins' limit."""

from django.db.models import Q
from django.utils.translation import gettext_noop

from core import privacy, retention
from followups.history import said
from followups.inbound import inbound_forget
from followups.models import FollowUp, FollowUpEvent, ImprovementNotice, InboundMessage

# Event kinds whose free text may hold what the customer said or personal details.
_PERSONAL_EVENT_KINDS = (
    FollowUpEvent.Kind.NOTE,
    FollowUpEvent.Kind.ATTEMPT,
    FollowUpEvent.Kind.REPLY,
    FollowUpEvent.Kind.INBOUND,
)


def _their_emails(contact):
    """The e-mails that came from the contact, or onto their cases."""
    mine = Q(followup__contact=contact)
    if contact.email:
        mine |= Q(from_email__iexact=contact.email)
    return InboundMessage.objects.filter(mine)


def register() -> None:
    """Called from FollowupsConfig.ready()."""
    privacy.register("followups", export=export_part, erase=erase_part)
    retention.register("emails", purge_emails)


def purge_emails(settings, now) -> int:
    """Customers' e-mails received before the limit go (on a case or not), their kept attachments
    with them; the case history keeps the line that one came, without what it said."""
    before = retention.cutoff(settings.emails_days, now)
    if before is None:
        return 0
    ids = list(InboundMessage.objects.filter(received_at__lt=before).values_list("pk", flat=True)[: retention.BATCH])
    if not ids:
        return 0
    line = said(gettext_noop("E-mail removed after %(days)s days (data retention)."), days=settings.emails_days)
    events = list(FollowUpEvent.objects.filter(inbound_message__pk__in=ids, kind=FollowUpEvent.Kind.INBOUND))
    for event in events:
        automatic = (event.data or {}).get("automatic", "")
        event.text, event.data = line["text"], {"i18n": line["i18n"], "automatic": automatic, "removed": True}
    FollowUpEvent.objects.bulk_update(events, ["text", "data"], batch_size=500)
    inbound_forget(inbound_ids=ids)
    return len(ids)


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
        "emails_received": [
            {
                "received_at": privacy.iso(m.received_at),
                "from": m.from_email,
                "subject": m.subject,
                "text": m.text,
                "attachments": [item["name"] for item in m.attachments],
                "case": m.followup_id,
            }
            for m in _their_emails(contact).order_by("received_at")
        ],
    }


def erase_part(contact) -> None:
    """What was written about or to the contact goes; the cases themselves (and their statuses,
    categories and dates, which the reports count) stay."""
    FollowUp.objects.filter(contact=contact).update(resolution_summary="", outcome="", closed_reason="")
    FollowUpEvent.objects.filter(followup__contact=contact, kind__in=_PERSONAL_EVENT_KINDS).update(text="", data={})
    inbound_forget(inbound_ids=_their_emails(contact).values_list("pk", flat=True))
