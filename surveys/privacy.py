"""surveys' part of a data-subject request (core/privacy.py runs every app's part): the contact,
its invitations and its answers.

Erasure removes personal data but keeps the scores (on a tombstone contact with its segment
attributes), so NPS history and segment cuts stay right.
"""

from django.utils import timezone

from core import privacy
from surveys.models import Answer, Contact, Invitation, Response


def register() -> None:
    """Called from SurveysConfig.ready()."""
    privacy.register("surveys", export=export_part, erase=erase_answers)
    privacy.register("surveys.contact", erase=erase_contact, order=privacy.LAST)


def export_part(contact: Contact) -> dict:
    responses = (
        Response.objects.filter(contact=contact)
        .select_related("campaign", "touchpoint")
        .prefetch_related("answers__question")
        .order_by("submitted_at")
    )
    return {
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
            "opted_out_at": privacy.iso(contact.opted_out_at),
            "undeliverable_at": privacy.iso(contact.undeliverable_at),
            "erased_at": privacy.iso(contact.erased_at),
            "created_at": privacy.iso(contact.created_at),
        },
        "invitations": [
            {
                "campaign": i.campaign.name,
                "status": i.status,
                "sent_at": privacy.iso(i.sent_at),
                "reminded_at": privacy.iso(i.reminded_at),
                "answered_at": privacy.iso(i.answered_at),
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
                "submitted_at": privacy.iso(r.submitted_at),
                "answers": [
                    {"question": a.question.text, "number": a.number, "text": a.text, "choices": a.choices}
                    for a in r.answers.all()
                ],
            }
            for r in responses
        ],
    }


def erase_answers(contact: Contact) -> None:
    """What the contact wrote goes; the scores and categories stay."""
    Response.objects.filter(contact=contact).update(comment="")
    Answer.objects.filter(response__contact=contact).exclude(text="").update(text="")


def erase_contact(contact: Contact) -> None:
    """The contact becomes a tombstone that keeps its segment attributes. Runs after every other
    part, which may still need the e-mail address."""
    contact.email = f"erased-{contact.pk}@invalid"
    contact.name = ""
    contact.external_id = None
    contact.company = ""
    contact.phone = ""
    contact.account_owner = None
    contact.erased_at = timezone.now()
    contact.opted_out_at = contact.opted_out_at or contact.erased_at
    contact.save()
