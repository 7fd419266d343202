"""Campaign and contact writes (sending is in sending.py, answers in responses.py)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from surveys.models import Campaign, Contact, ContactImport, Question, new_token


def campaign_save(*, form, formset, actor) -> Campaign:
    with transaction.atomic():
        created = form.instance.pk is None
        campaign = form.save(commit=False)
        if created:
            campaign.created_by = actor
        campaign.save()
        formset.instance = campaign
        formset.save()
        for order, question in enumerate(campaign.questions.order_by("order", "id"), start=1):
            if question.order != order:
                Question.objects.filter(pk=question.pk).update(order=order)
        audit_log(
            actor=actor,
            action="campaign.created" if created else "campaign.updated",
            target=campaign,
            data={"changed": form.changed_data, "questions_changed": formset.has_changed()},
        )
    return campaign


def campaign_duplicate(*, campaign: Campaign, actor) -> Campaign:
    with transaction.atomic():
        questions = list(campaign.questions.all())
        copy = Campaign.objects.get(pk=campaign.pk)
        copy.pk = None
        copy.name = (_("%(name)s (copy)") % {"name": campaign.name})[:200]
        copy.status = Campaign.Status.DRAFT
        copy.anonymous_token = new_token()
        copy.created_by = actor
        copy.send_at = None
        copy.save()
        Question.objects.bulk_create(
            [
                Question(
                    campaign=copy,
                    order=q.order,
                    kind=q.kind,
                    driver=q.driver,
                    text=q.text,
                    choices=q.choices,
                    required=q.required,
                )
                for q in questions
            ]
        )
        audit_log(actor=actor, action="campaign.duplicated", target=copy, data={"from": campaign.pk})
    return copy


def contact_save(*, form, actor) -> Contact:
    """Save the contact form. An opt-out can be recorded here but never undone by staff: only the
    contact withdraws consent, so only the contact gives it back."""
    with transaction.atomic():
        created = form.instance.pk is None
        contact = form.save(commit=False)
        opting_out = form.cleaned_data.get("opted_out") and contact.opted_out_at is None
        if opting_out:
            contact.opted_out_at = timezone.now()
        contact.save()
        changed = [name for name in form.changed_data if name != "opted_out" or opting_out]
        audit_log(
            actor=actor,
            action="contact.created" if created else "contact.updated",
            target=contact,
            data={"changed": changed},
        )
        if opting_out:
            audit_log(actor=actor, action="contact.opted_out", target=contact, data={"by": "staff"})
    return contact


def import_start(*, upload, actor) -> ContactImport:
    return ContactImport.objects.create(file=upload, original_name=upload.name[:255], created_by=actor)
