"""E-mails of the follow-up loop, one function each."""

from django.contrib.auth import get_user_model
from django.urls import reverse

from core.i18n import user_language
from core.mail import absolute_url, render_email, send_once
from followups.models import FollowUp, FollowUpEvent
from surveys.models import Response
from surveys.unsubscribe import unsubscribe_headers, unsubscribe_url

User = get_user_model()


def _case_context(followup: FollowUp) -> dict:
    response = followup.response
    history = []
    open_cases = []
    if followup.contact_id:
        history = list(Response.objects.filter(contact_id=followup.contact_id).exclude(pk=response.pk)
                       .select_related("campaign").order_by("-submitted_at")[:5])
        open_cases = list(FollowUp.objects.filter(contact_id=followup.contact_id, status__in=FollowUp.OPEN_STATUSES)
                          .exclude(pk=followup.pk).order_by("due_at")[:5])
    return {
        "followup": followup, "response": response, "contact": followup.contact,
        "answers": list(response.answers.select_related("question").order_by("question__order")),
        "history": history, "open_cases": open_cases,
        "case_url": absolute_url(reverse("followup_detail", args=[followup.pk])),
    }


def send_owner_alert(*, followup: FollowUp):
    """Tell the owner (or, for a team queue, the team lead) about a new case. Once per owner."""
    recipient = followup.owner or (followup.team.lead if followup.team_id else None)
    if recipient is None or not recipient.email:
        return None
    message = render_email(template="followup_owner", context=_case_context(followup), to=recipient.email,
                           language=user_language(recipient))
    return send_once(key=owner_alert_key(followup.pk, recipient.pk), kind="followup_owner", message=message)


def owner_alert_key(followup_id: int, recipient_id: int) -> str:
    """Once per case and recipient: a reassigned case alerts its new owner once too."""
    return f"followup-owner:{followup_id}:{recipient_id}"


def send_escalation(*, followup: FollowUp, level: int, recipient) -> None:
    if not recipient.email:
        return
    context = {**_case_context(followup), "level": level, "recipient": recipient}
    message = render_email(template="followup_escalation", context=context, to=recipient.email,
                           language=user_language(recipient))
    send_once(key=f"followup-escalation:{followup.pk}:{level}:{recipient.pk}", kind="followup_escalation",
              message=message)


def send_customer_reply(*, event: FollowUpEvent):
    """An agent's reply to the customer, written on the case. Once per reply; the caller has
    checked that the contact may be e-mailed. Replies go to the agent, unsubscribing to us."""
    contact, sender = event.followup.contact, event.actor
    headers = unsubscribe_headers(contact)
    if sender is not None and sender.email:
        headers["Reply-To"] = sender.email
    sender_name = (sender.get_full_name() or sender.get_username()) if sender is not None else ""
    message = render_email(template="followup_reply", to=contact.email, headers=headers,
                           language=contact.language if contact.language in ("en", "nl") else "en",
                           context={"contact": contact, "subject": event.data.get("subject", ""), "body": event.text,
                                    "sender": sender_name, "unsubscribe_url": unsubscribe_url(contact)})
    return send_once(key=f"followup-reply:{event.pk}", kind="followup_reply", message=message)
