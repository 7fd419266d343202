"""The `data` object of each event: plain JSON-ready dicts, the same shape wherever a record
appears. Documented in README.md ("Webhooks"); add fields freely, never rename or remove one."""

from django.urls import reverse

from core.mail import absolute_url


def _url(name: str, pk) -> str:
    return absolute_url(reverse(name, args=[pk]))


def _user(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.get_username(), "name": user.get_full_name(), "email": user.email}


def _named(obj) -> dict | None:
    return None if obj is None else {"id": obj.pk, "name": obj.name}


def contact_data(contact) -> dict | None:
    if contact is None:
        return None
    return {
        "id": contact.pk,
        "email": contact.email,
        "name": contact.name,
        "external_id": contact.external_id,
        "company": contact.company,
        "phone": contact.phone,
        "language": contact.language,
        "url": _url("surveys:contact_detail", contact.pk),
    }


def response_data(response) -> dict:
    campaign, touchpoint = response.campaign, response.touchpoint
    return {
        "id": response.pk,
        "score": response.score,
        "category": response.category,
        "comment": response.comment,
        "kind": response.kind,
        "channel": response.channel,
        "language": response.language,
        "submitted_at": response.submitted_at,
        "campaign": {"id": campaign.pk, "name": campaign.name, "url": _url("surveys:campaign_detail", campaign.pk)},
        "touchpoint": None
        if touchpoint is None
        else {"id": touchpoint.pk, "name": touchpoint.name, "slug": touchpoint.slug},
        "team": _named(response.team),
        "contact": contact_data(response.contact),
    }


def followup_data(followup) -> dict:
    return {
        "id": followup.pk,
        "status": followup.status,
        "category": followup.category,
        "owner": _user(followup.owner),
        "team": _named(followup.team),
        "due_at": followup.due_at,
        "escalation_level": followup.escalation_level,
        "at_risk": followup.at_risk,
        "created_at": followup.created_at,
        "first_contact_at": followup.first_contact_at,
        "closed_at": followup.closed_at,
        "closed_reason": followup.closed_reason,
        "resolution_summary": followup.resolution_summary,
        "outcome": followup.outcome,
        "root_causes": sorted(tag.name for tag in followup.tags.all()),  # prefetched for a batch
        "url": _url("followups:followup_detail", followup.pk),
        "response": response_data(followup.response),
    }


REPLY_TEXT_MAX = 10_000  # characters of a customer's reply in a payload


def reply_data(inbound) -> dict:
    """A customer's e-mail that came into a case (followups.InboundMessage): its reply without the
    quoted mail and the signature (`text`), never the whole e-mail."""
    text = inbound.reply_text or ""
    return {
        "id": inbound.pk,
        "subject": inbound.subject,
        "text": text if len(text) <= REPLY_TEXT_MAX else text[: REPLY_TEXT_MAX - 1] + "…",
        "received_at": inbound.received_at,
        "attachments": [item.get("name", "") for item in inbound.attachments or []],
    }


def improvement_data(improvement) -> dict:
    return {
        "id": improvement.pk,
        "title": improvement.title,
        "title_nl": improvement.title_nl,
        "status": improvement.status,
        "description_en": improvement.description_en,
        "description_nl": improvement.description_nl,
        "team": _named(improvement.team),
        "shipped_at": improvement.shipped_at,
        "root_causes": sorted(improvement.tags.values_list("name", flat=True)),
        "linked_responses": improvement.links.count(),
        "customers_to_notify": improvement.notices.filter(status="queued").count(),
        "url": _url("followups:improvement_detail", improvement.pk),
    }


def account_data(account) -> dict:
    """An account (surveys.Account); `previous_health` is set by the health refresh on the record."""
    return {
        "id": account.pk,
        "name": account.name,
        "external_id": account.external_id,
        "segment": account.segment,
        "arr": account.arr,
        "currency": account.currency,
        "owner": _user(account.owner),
        "team": _named(account.team),
        "renewal_date": account.renewal_date,
        "status": account.status,
        "churned_at": account.churned_at,
        "churn_reason": account.churn_reason,
        "health": account.health or None,
        "previous_health": getattr(account, "previous_health", None) or None,
        "nps": account.health_nps,
        "n": account.health_n,
        "url": _url("scoring:account_detail", account.pk),
    }
