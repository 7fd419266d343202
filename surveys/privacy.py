"""surveys' part of a data-subject request (core/privacy.py runs every app's part): the contact,
its invitations and its answers.

Erasure removes personal data but keeps the scores (on a tombstone contact with its segment
attributes), so NPS history and segment cuts stay right.
"""

from django.utils import timezone

from core import privacy
from surveys.models import Answer, Contact, ContactImport, Invitation, Response

# The attributes an erased contact keeps: the segment keys the reports roll up (scoring's
# SEGMENT_KEYS; a test keeps the two equal), coarse values that identify nobody. Every other
# attribute is free-form (any unknown CSV column becomes one: a home address, a birth date) and goes.
KEPT_ATTRIBUTES = ("plan", "region", "size")


def register_retention() -> None:
    """Called from SurveysConfig.ready(): surveys' parts of the nightly retention run."""
    from core import retention

    retention.register("comments", purge_comments)
    retention.register("contacts", purge_unanswered_contacts)


def purge_comments(settings, now) -> int:
    """Comments and written driver answers older than the limit go; scores and choices stay."""
    from core.retention import BATCH, cutoff

    before = cutoff(settings.comments_days, now)
    if before is None:
        return 0
    ids = list(
        Response.objects.filter(submitted_at__lt=before).exclude(comment="").values_list("pk", flat=True)[:BATCH]
    )
    count = Response.objects.filter(pk__in=ids).update(comment="")
    Answer.objects.filter(response__submitted_at__lt=before).exclude(text="").update(text="")
    return count


def purge_unanswered_contacts(settings, now) -> int:
    """Contacts added before the limit who never answered are erased (the whole privacy erasure)."""
    from core.retention import cutoff

    before = cutoff(settings.contacts_days, now)
    if before is None:
        return 0
    stale = Contact.objects.filter(created_at__lt=before, erased_at__isnull=True, responses__isnull=True)
    count = 0
    for contact in stale.order_by("pk")[:500]:
        privacy.erase(contact, actor=None)
        count += 1
    return count


def register() -> None:
    """Called from SurveysConfig.ready()."""
    privacy.register("surveys", export=export_part, erase=erase_answers)
    privacy.register("surveys.contact", erase=erase_contact, order=privacy.LAST)


def export_part(contact: Contact) -> dict:
    return {**_contact_part(contact), "contact_imports": _imports_part(contact)}


def _imports_part(contact: Contact) -> list[dict]:
    return [
        {"file": record.original_name, "uploaded_at": privacy.iso(record.created_at)}
        for record in _import_files_naming(contact)
    ]


def _contact_part(contact: Contact) -> dict:
    responses = (
        Response.objects.filter(contact=contact)
        .select_related("campaign", "touchpoint")
        .prefetch_related("answers__question", "review_clicks__site")
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
            "time_zone": contact.time_zone,
            "attributes": contact.attributes,
            "language": contact.language,
            "account_owner": contact.account_owner.get_username() if contact.account_owner else None,
            "opted_out_at": privacy.iso(contact.opted_out_at),
            "sms_opted_out_at": privacy.iso(contact.sms_opted_out_at),
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
                "review_sites_visited": [
                    {"site": click.site.name, "at": privacy.iso(click.clicked_at)} for click in r.review_clicks.all()
                ],
            }
            for r in responses
        ],
    }


def erase_answers(contact: Contact) -> None:
    """What the contact wrote goes; the scores and categories stay."""
    Response.objects.filter(contact=contact).update(comment="")
    Answer.objects.filter(response__contact=contact).exclude(text="").update(text="")
    erase_import_files(contact)


def _import_files_naming(contact: Contact):
    """Finished imports whose stored CSV holds the contact's address (a running one is left to finish)."""
    address = contact.email.lower().encode()
    finished = ContactImport.objects.filter(status__in=[ContactImport.Status.DONE, ContactImport.Status.FAILED])
    for record in finished.exclude(file=""):
        try:
            with record.file.open("rb") as stored:
                if address in stored.read().lower():
                    yield record
        except FileNotFoundError:
            continue


def erase_import_files(contact: Contact) -> None:
    """An uploaded CSV that holds the contact's row is deleted (its report of counts stays)."""
    for record in _import_files_naming(contact):
        record.file.delete(save=False)
        record.report = []
        record.save(update_fields=["file", "report"])


def erase_contact(contact: Contact) -> None:
    """The contact becomes a tombstone that keeps its segment attributes. Runs after every other
    part, which may still need the e-mail address."""
    contact.email = f"erased-{contact.pk}@invalid"
    contact.name = ""
    contact.external_id = None
    contact.company = ""
    contact.phone = ""
    contact.time_zone = ""
    contact.account_owner = None
    attributes = contact.attributes if isinstance(contact.attributes, dict) else {}
    contact.attributes = {key: value for key, value in attributes.items() if key in KEPT_ATTRIBUTES}
    contact.erased_at = timezone.now()
    contact.opted_out_at = contact.opted_out_at or contact.erased_at
    contact.save()
