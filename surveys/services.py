"""Campaign and contact writes (sending is in sending.py, answers in responses.py)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from surveys.addresses import normalise
from surveys.models import Campaign, Contact, ContactImport, Question, WidgetSettings, new_token
from surveys.phones import PhoneError, normalise_phone
from surveys.review_sites import review_sites_save
from surveys.widget_setup import WIDGET_FIELDS, widget_settings_save

CAMPAIGN_FIELDS = (
    "name",
    "kind",
    "touchpoint",
    "team",
    "channel",
    "language",
    "email_subject",
    "email_intro",
    "question",
    "why_question",
    "why_detractor",
    "why_passive",
    "why_promoter",
    "thanks_promoter",
    "thanks_passive",
    "thanks_detractor",
    "scale_low",
    "scale_high",
    "translations",
    "followup_promoters",
    "audience_list",
    "send_at",
    "recurrence_days",
    "spread_days",
    "reminder_after_days",
    "quiet_period_days",
    "sms_daily_cap",
    "anonymous_link_enabled",
)
QUESTION_FIELDS = ("text", "kind", "driver", "required", "choices", "scale_low", "scale_high", "translations")


def question_change_problem(question: Question, *, kind: str) -> str:
    """Why `question` cannot become of `kind` ("" when it can): answers already given keep their kind."""
    if question.pk and kind != question.kind and question.answers.exists():
        return _("This question already has answers; its kind cannot change. Add a new question instead.")
    return ""


def question_delete_problem(question: Question) -> str:
    """Why `question` cannot be deleted ("" when it can): deleting it would delete its answers."""
    if question.pk and question.answers.exists():
        return _("“%(question)s” already has answers and cannot be deleted.") % {"question": question.text}
    return ""


def campaign_edit_refusal(campaign: Campaign) -> str:
    """Why `campaign` cannot be edited ("" when it can): the campaign page offers Edit only then."""
    if campaign.status == Campaign.Status.CLOSED:
        return _("A closed campaign cannot be edited; duplicate it instead.")
    return ""


def campaign_save(
    *,
    actor,
    campaign_id: int | None = None,
    audience_filter: dict | None = None,
    questions: list[dict] | None = None,
    review_sites: list[dict] | None = None,
    widget: dict | None = None,
    **values,
) -> Campaign:
    """Create a draft campaign (`campaign_id` None) or change one, from plain values: fields named
    in CAMPAIGN_FIELDS (related records as instances), the segment filter, and the driver
    questions as they should be, in order (dicts of QUESTION_FIELDS, with the "id" of one that
    exists; an existing question left out is deleted), and its review sites likewise (dicts of
    review_sites.SITE_FIELDS). A widget campaign gets its widget settings (key and secret made
    once), changed by `widget` (surveys.widget_setup.WIDGET_FIELDS; other channels ignore it).
    Raises ValidationError for a closed campaign, a question change that would lose answers, or
    widget settings the model refuses (by field)."""
    unknown = sorted(set(values) - set(CAMPAIGN_FIELDS))
    if unknown:
        raise TypeError(f"Not fields of a campaign: {', '.join(unknown)}")
    if audience_filter is not None:
        values["audience_filter"] = audience_filter
    with transaction.atomic():
        if campaign_id is None:
            campaign, before = Campaign(created_by=actor), None
        else:
            campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
            if campaign_edit_refusal(campaign):
                raise ValidationError(campaign_edit_refusal(campaign))
            before = {name: campaign.serializable_value(name) for name in values}
        for name, value in values.items():
            setattr(campaign, name, value)
        campaign.save()
        if before is None:
            changed = sorted(name for name, value in values.items() if value not in (None, "", [], {}))
        else:
            changed = [name for name in values if campaign.serializable_value(name) != before[name]]
        questions_changed = _questions_save(campaign, questions) if questions is not None else False
        data = {"changed": changed, "questions_changed": questions_changed}
        if review_sites is not None:
            data["review_sites_changed"] = review_sites_save(campaign, review_sites)
        if campaign.channel == Campaign.Channel.WIDGET:  # README, "The website and in-app widget"
            data["widget_changed"] = widget_settings_save(campaign, widget or {})
        audit_log(
            actor=actor, action="campaign.created" if before is None else "campaign.updated", target=campaign, data=data
        )
    return campaign


def _questions_save(campaign: Campaign, questions: list[dict]) -> bool:
    """Make the campaign's driver questions these, numbered in this order. Returns whether any
    question was added, changed or deleted."""
    existing = {question.pk: question for question in campaign.questions.all()}
    kept, changed = set(), False
    for order, item in enumerate(questions, start=1):
        values = {name: item[name] for name in QUESTION_FIELDS if name in item}  # left out: kept as it is
        question = existing.get(item.get("id")) if item.get("id") is not None else None
        if item.get("id") is not None and question is None:
            raise ValidationError(_("A question was changed meanwhile; reload the page."))
        if question is None:
            Question.objects.create(campaign=campaign, order=order, **values)
            changed = True
            continue
        problem = question_change_problem(question, kind=values.get("kind", question.kind))
        if problem:
            raise ValidationError(problem)
        kept.add(question.pk)
        edited = any(getattr(question, name) != value for name, value in values.items())
        if edited or question.order != order:
            Question.objects.filter(pk=question.pk).update(order=order, **values)
        changed = changed or edited or question.order != order  # moved counts as a change
    for pk, question in existing.items():
        if pk not in kept:
            problem = question_delete_problem(question)
            if problem:
                raise ValidationError(problem)
            question.delete()
            changed = True
    return changed


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
                    scale_low=q.scale_low,
                    scale_high=q.scale_high,
                    translations=q.translations,
                )
                for q in questions
            ]
        )
        original = WidgetSettings.objects.filter(campaign=campaign).first()
        if original is not None:  # the same settings, with a key and a secret of its own
            widget_settings_save(copy, {name: getattr(original, name) for name in WIDGET_FIELDS})
        audit_log(actor=actor, action="campaign.duplicated", target=copy, data={"from": campaign.pk})
    return copy


def contact_edit_refusal(contact: Contact) -> str:
    """Why `contact` cannot be edited ("" when it can): the contact page offers Edit only then."""
    if contact.erased_at:
        return _("An erased contact cannot be edited.")
    return ""


CONTACT_FIELDS = (
    "email",
    "name",
    "external_id",
    "company",
    "phone",
    "time_zone",
    "language",
    "account_owner",
    "account",
    "account_role",
)


def contact_save(
    *, actor, contact_id: int | None = None, attributes: dict | None = None, opt_out: bool = False, **values
) -> Contact:
    """Create a contact (`contact_id` None) or change one, from plain values: fields named in
    CONTACT_FIELDS (the account owner as a user or None, the account as an Account or None with
    the role in it) and the segment attributes.

    `opt_out` records an opt-out; it is never undone here: only the contact withdraws consent, so
    only the contact gives it back. A new address clears "undeliverable": that was the old one's
    permanent bounce."""
    unknown = sorted(set(values) - set(CONTACT_FIELDS))
    if unknown:
        raise TypeError(f"Not fields of a contact: {', '.join(unknown)}")
    if attributes is not None:
        values["attributes"] = attributes
    if "email" in values:
        values["email"] = normalise(values["email"])
    if "account" in values and values["account"] is None:
        values["account_role"] = ""  # a role is a role in an account
    if "phone" in values:
        try:
            values["phone"] = normalise_phone(values["phone"])
        except PhoneError as error:
            raise ValidationError({"phone": str(error)}) from None
    with transaction.atomic():
        if contact_id is None:
            contact, before = Contact(), None
        else:
            contact = Contact.objects.select_for_update().get(pk=contact_id)
            if contact_edit_refusal(contact):
                raise ValidationError(contact_edit_refusal(contact))
            before = {name: contact.serializable_value(name) for name in values}
        for name, value in values.items():
            setattr(contact, name, value)
        if before is not None and "email" in values and values["email"] != before["email"]:
            contact.undeliverable_at = None
        opting_out = opt_out and contact.opted_out_at is None
        if opting_out:
            contact.opted_out_at = timezone.now()
        contact.save()
        if before is None:
            changed = sorted(name for name, value in values.items() if value not in (None, "", {}))
        else:
            changed = [name for name in values if contact.serializable_value(name) != before[name]]
        audit_log(
            actor=actor,
            action="contact.created" if before is None else "contact.updated",
            target=contact,
            data={"changed": changed + ["opted_out"] if opting_out else changed},
        )
        if opting_out:
            audit_log(actor=actor, action="contact.opted_out", target=contact, data={"by": "staff"})
    return contact


def import_start(*, upload, actor) -> ContactImport:
    return ContactImport.objects.create(file=upload, original_name=upload.name[:255], created_by=actor)
