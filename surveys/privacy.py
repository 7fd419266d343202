"""Data-subject requests: export everything about one contact, and erase a contact.

Erasure removes personal data but keeps the scores (on a tombstone contact with its segment
attributes), so NPS history and segment cuts stay right.
"""

from django.db import transaction
from django.utils import timezone

import webhooks.events
from core.audit import audit_log
from core.models import EmailDelivery, OutboxMessage
from followups.models import FollowUp, FollowUpEvent, ImprovementNotice
from surveys.models import Answer, Contact, Invitation, Response

# Event kinds whose free text may hold what the customer said or personal details.
_PERSONAL_EVENT_KINDS = (FollowUpEvent.Kind.NOTE, FollowUpEvent.Kind.ATTEMPT, FollowUpEvent.Kind.REPLY)


def _iso(value):
    return value.isoformat() if value else None


def contact_export(*, contact: Contact, actor) -> dict:
    """Everything Kringloop holds about one contact, as JSON-ready data. The export is audit-logged."""
    responses = (
        Response.objects.filter(contact=contact)
        .select_related("campaign", "touchpoint")
        .prefetch_related("answers__question")
        .order_by("submitted_at")
    )
    followups = FollowUp.objects.filter(contact=contact).prefetch_related("events", "tags").order_by("created_at")
    data = {
        "contact": {
            "id": contact.pk,
            "email": contact.email,
            "name": contact.name,
            "external_id": contact.external_id,
            "company": contact.company,
            "phone": contact.phone,
            "attributes": contact.attributes,
            "language": contact.language,
            "account_owner": contact.account_owner.get_username() if contact.account_owner else None,
            "opted_out_at": _iso(contact.opted_out_at),
            "undeliverable_at": _iso(contact.undeliverable_at),
            "erased_at": _iso(contact.erased_at),
            "created_at": _iso(contact.created_at),
        },
        "invitations": [
            {
                "campaign": i.campaign.name,
                "status": i.status,
                "sent_at": _iso(i.sent_at),
                "reminded_at": _iso(i.reminded_at),
                "answered_at": _iso(i.answered_at),
            }
            for i in Invitation.objects.filter(contact=contact).select_related("campaign").order_by("created_at")
        ],
        "responses": [
            {
                "campaign": r.campaign.name,
                "touchpoint": r.touchpoint.name if r.touchpoint else None,
                "score": r.score,
                "category": r.category,
                "comment": r.comment,
                "channel": r.channel,
                "language": r.language,
                "submitted_at": _iso(r.submitted_at),
                "answers": [
                    {"question": a.question.text, "number": a.number, "text": a.text, "choices": a.choices}
                    for a in r.answers.all()
                ],
            }
            for r in responses
        ],
        "followups": [
            {
                "id": f.pk,
                "status": f.status,
                "category": f.category,
                "created_at": _iso(f.created_at),
                "closed_at": _iso(f.closed_at),
                "outcome": f.outcome,
                "resolution_summary": f.resolution_summary,
                "tags": [t.name for t in f.tags.all()],
                "history": [{"kind": e.kind, "text": e.text, "at": _iso(e.created_at)} for e in f.events.all()],
            }
            for f in followups
        ],
        "improvement_notices": [
            {"improvement": n.improvement.title, "status": n.status, "sent_at": _iso(n.sent_at)}
            for n in ImprovementNotice.objects.filter(contact=contact).select_related("improvement")
        ],
    }
    audit_log(actor=actor, action="contact.exported", target=contact)
    return data


def contact_erase(*, contact: Contact, actor) -> Contact:
    """Remove the contact's personal data; keep scores, categories and segment attributes."""
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        if contact.erased_at:
            return contact
        old_email = contact.email
        Response.objects.filter(contact=contact).update(comment="")
        Answer.objects.filter(response__contact=contact).exclude(text="").update(text="")
        FollowUp.objects.filter(contact=contact).update(resolution_summary="", outcome="", closed_reason="")
        FollowUpEvent.objects.filter(followup__contact=contact, kind__in=_PERSONAL_EVENT_KINDS).update(text="", data={})
        OutboxMessage.objects.filter(to__iexact=old_email).delete()
        webhooks.events.deliveries_forget_contact(contact_id=contact.pk)
        EmailDelivery.objects.filter(to__iexact=old_email).update(to=f"erased-{contact.pk}@invalid")
        contact.email = f"erased-{contact.pk}@invalid"
        contact.name = ""
        contact.external_id = None
        contact.company = ""
        contact.phone = ""
        contact.account_owner = None
        contact.erased_at = timezone.now()
        contact.opted_out_at = contact.opted_out_at or contact.erased_at
        contact.save()
        audit_log(actor=actor, action="contact.erased", target=contact)
    return contact
