"""Reply templates: admins keep them per language and category; an agent picks one on the case,
which fills the reply's subject and message with the case's own values, edits it, previews the
e-mail and sends it (the case page's reply form, followups.case_views).

Placeholders are a fixed list, written `{customer_name}`; anything else in braces is left as it is
(and refused when the template is saved), so a template can never reach into other data."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, IntegerField, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit import audit_log
from followups.models import FollowUp, ReplyTemplate
from surveys import wording

PLACEHOLDERS = {
    "customer_name": gettext_lazy("the customer's name (empty if unknown)"),
    "score": gettext_lazy("the score they gave (0–10)"),
    "comment": gettext_lazy("what they wrote with it"),
    "agent_name": gettext_lazy("your name"),
    "company": gettext_lazy("the company's name"),
}
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
FIELDS = ("name", "language", "category", "subject", "body", "active")


def unknown_placeholders(text: str) -> list[str]:
    return sorted({name for name in _PLACEHOLDER.findall(text or "") if name not in PLACEHOLDERS})


def template_problems(values: dict) -> dict[str, str]:
    """Field → message, for the admin's form."""
    problems = {}
    for field in ("subject", "body"):
        unknown = unknown_placeholders(values.get(field, ""))
        if unknown:
            problems[field] = _("Unknown placeholder %(names)s. Use %(known)s.") % {
                "names": ", ".join(f"{{{name}}}" for name in unknown),
                "known": ", ".join(f"{{{name}}}" for name in PLACEHOLDERS),
            }
    return problems


def template_save(*, template: ReplyTemplate | None, actor, **values) -> ReplyTemplate:
    problems = template_problems(values)
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        created = template is None
        template = template or ReplyTemplate(created_by=actor)
        for name in FIELDS:
            if name in values:
                setattr(template, name, values[name])
        template.save()
        audit_log(
            actor=actor,
            action="reply_template.created" if created else "reply_template.updated",
            target=template,
            data={"language": template.language, "category": template.category, "active": template.active},
        )
    return template


def template_delete(*, template: ReplyTemplate, actor) -> None:
    with transaction.atomic():
        audit_log(actor=actor, action="reply_template.deleted", target=template, data={"name": template.name})
        template.delete()


def reply_language(case: FollowUp) -> str:
    """The language the reply to the case is written in (as followups.emails writes it)."""
    contact = case.contact
    return wording.spoken(contact.language if contact else "") or settings.LANGUAGE_CODE


def templates_for(case: FollowUp):
    """The active templates an agent may start from on `case`: the reply's language, the case's
    category first, then those for any category."""
    return (
        ReplyTemplate.objects.filter(active=True, language=reply_language(case), category__in=[case.category, ""])
        .annotate(first=Case(When(category="", then=Value(1)), default=Value(0), output_field=IntegerField()))
        .order_by("first", "name")
    )


def values_for(case: FollowUp, agent) -> dict[str, str]:
    contact, response = case.contact, case.response
    return {
        "customer_name": (contact.name if contact else "") or "",
        "score": str(response.score),
        "comment": response.comment or "",
        "agent_name": (agent.get_full_name() or agent.get_username()) if agent is not None else "",
        "company": settings.COMPANY_NAME,
    }


def fill(text: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text or "")


def render_for(template: ReplyTemplate, case: FollowUp, agent) -> tuple[str, str]:
    """(subject, message) of `template` filled in for the case and the agent writing."""
    values = values_for(case, agent)
    return " ".join(fill(template.subject, values).split()), fill(template.body, values).strip()
