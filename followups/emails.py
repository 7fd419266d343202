"""E-mails of the follow-up loop, one function each."""

import hashlib
from collections import defaultdict
from datetime import timedelta
from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import reply_address
from core.i18n import user_language, user_languages
from core.mail import absolute_url, render_email, send_many_once, send_once
from followups.inbound_queries import reply_thread
from followups.models import EscalationNotice, FollowUp, FollowUpEvent, InboundMessage
from surveys import wording
from surveys.models import CUSTOMER_KINDS, Answer, Response
from surveys.unsubscribe import unsubscribe_headers, unsubscribe_url

User = get_user_model()


# What the owner and escalation e-mails show of a case, loaded with it.
CASE_RELATED = ("owner", "team__lead", "contact", "response__campaign")
SHOWN = 5  # previous answers and other open cases listed in a case e-mail


def _case_contexts(followups: list[FollowUp]) -> dict[int, dict]:
    """The e-mail context of each case (loaded with CASE_RELATED), by case id: three queries for
    any number of cases. The contact's last answers but this one, their other open cases by due
    date (neither for an anonymous answer), and this answer's driver answers in question order."""
    contact_ids = {followup.contact_id for followup in followups if followup.contact_id}
    history, open_cases, answers = defaultdict(list), defaultdict(list), defaultdict(list)
    if contact_ids:
        # One more per contact than shown: the case's own answer, or the case itself, is left out below.
        for response in _first_per_contact(
            Response.objects.filter(kind__in=CUSTOMER_KINDS).select_related("campaign"),
            contact_ids,
            "-submitted_at",
            "-pk",
        ):
            history[response.contact_id].append(response)
        for case in _first_per_contact(
            FollowUp.objects.filter(status__in=FollowUp.OPEN_STATUSES), contact_ids, "due_at", "pk"
        ):
            open_cases[case.contact_id].append(case)
    for answer in (
        Answer.objects.filter(response_id__any={followup.response_id for followup in followups})
        .select_related("question")
        .order_by("question__order", "question_id")
    ):
        answers[answer.response_id].append(answer)
    return {
        followup.pk: {
            "followup": followup,
            "response": followup.response,
            "contact": followup.contact,
            # Who answered, as the subject and body name them: "" for an anonymous answer (no contact),
            # which the templates name "an anonymous respondent".
            "customer_name": (followup.contact.name or followup.contact.email) if followup.contact else "",
            "answers": answers[followup.response_id],
            "history": [r for r in history[followup.contact_id] if r.pk != followup.response_id][:SHOWN],
            "open_cases": [c for c in open_cases[followup.contact_id] if c.pk != followup.pk][:SHOWN],
            "case_url": absolute_url(reverse("followups:followup_detail", args=[followup.pk])),
        }
        for followup in followups
    }


def _first_per_contact(queryset, contact_ids: set[int], *order_by: str):
    """The first SHOWN + 1 rows of each contact in `order_by` order, grouped by contact."""
    if len(contact_ids) == 1:  # one case: a plain LIMIT, which costs half as much to build as the window
        return queryset.filter(contact_id__in=contact_ids).order_by(*order_by)[: SHOWN + 1]
    ordering = [F(name[1:]).desc() if name.startswith("-") else F(name).asc() for name in order_by]
    return (
        queryset.filter(contact_id__any=contact_ids)
        .annotate(place=Window(RowNumber(), partition_by=F("contact_id"), order_by=ordering))
        .filter(place__lte=SHOWN + 1)
        .order_by("contact_id", *order_by)
    )


def send_owner_alert(*, followup: FollowUp):
    """Tell the owner (or, for a team queue, the team lead) about a new case. Once per owner."""
    items = _owner_alerts([followup])
    if not items:
        return None
    [(key, kind, message)] = items
    return send_once(key=key, kind=kind, message=message)


def send_owner_alerts(*, followup_ids: list[int]) -> int:
    """send_owner_alert for many cases: a fixed number of queries whatever their number, the
    messages over one connection, each still once per case and recipient. Returns how many were sent."""
    followups = list(FollowUp.objects.select_related(*CASE_RELATED).filter(pk__any=followup_ids).order_by("pk"))
    return send_owner_alerts_of(followups)


def send_owner_alerts_of(followups: list[FollowUp]) -> int:
    """send_owner_alerts for cases already loaded with CASE_RELATED (the processing task's own)."""
    return len(send_many_once(_owner_alerts(followups)))


def _owner_alerts(followups: list[FollowUp], *, update: bool = False) -> list[tuple[str, str, EmailMultiAlternatives]]:
    """(key, kind, message) of the alert of each case that has a recipient with an address; with
    `update`, of the update that brings the owner the customer's "why" after the alert."""
    recipients = {}
    for followup in followups:
        recipient = followup.owner or (followup.team.lead if followup.team_id else None)
        if recipient is not None and recipient.email:
            recipients[followup.pk] = recipient
    if not recipients:
        return []
    cases = [followup for followup in followups if followup.pk in recipients]
    contexts = _case_contexts(cases)
    languages = user_languages(recipients.values())
    items = []
    for followup in cases:
        recipient = recipients[followup.pk]
        kind = "followup_owner_why" if update else "followup_owner"
        message = render_email(
            template=kind, context=contexts[followup.pk], to=recipient.email, language=languages[recipient.pk]
        )
        key = owner_alert_key(followup.pk, recipient.pk)
        items.append((key.replace("followup-owner:", "followup-owner-why:", 1) if update else key, kind, message))
    return items


def owner_alert_key(followup_id: int, recipient_id: int) -> str:
    """Once per case and recipient: a reassigned case alerts its new owner once too."""
    return f"followup-owner:{followup_id}:{recipient_id}"


def alert_hold() -> timedelta:
    """How long a new case's owner alert waits for the customer's "why" (settings)."""
    return timedelta(seconds=settings.KRINGLOOP["OWNER_ALERT_HOLD_SECONDS"])


def send_owner_why(*, followup_ids: list[int]) -> int:
    """The customer's "why" arrived on these cases. An alert still held goes out now, with it; an
    alert that already went out without it is followed by one update that carries it. Each is sent
    once per case and recipient (the ledger's keys), however often this runs. Returns how many
    e-mails were sent."""
    followups = list(FollowUp.objects.select_related(*CASE_RELATED).filter(pk__any=followup_ids).order_by("pk"))
    followups = [followup for followup in followups if followup.response.comment]
    alerts = _owner_alerts(followups)
    sent_now = {row.key for row in send_many_once(alerts)}
    earlier = {key for key, _kind, _message in alerts if key not in sent_now}  # went out before the why
    updates = [item for item in _owner_alerts(followups, update=True) if _alert_key_of(item[0]) in earlier]
    return len(sent_now) + len(send_many_once(updates))


def _alert_key_of(update_key: str) -> str:
    return update_key.replace("followup-owner-why:", "followup-owner:", 1)


def send_escalation_digest(*, recipient_id: int) -> int:
    """One e-mail to the recipient listing every case escalated to them and not yet told (their
    unsent EscalationNotices, most overdue first), then the notices are marked sent: each case
    and level is in exactly one e-mail. The notices are locked (a second run at once skips them),
    and if sending fails nothing is marked and the next run sends them. Returns 1 if sent, else 0."""
    with transaction.atomic():
        notices = list(
            EscalationNotice.objects.select_for_update(skip_locked=True)
            .filter(recipient_id=recipient_id, sent_at__isnull=True)
            .order_by("pk")
        )
        if not notices:
            return 0
        recipient = User.objects.get(pk=recipient_id)
        sent = 0
        if recipient.email and recipient.is_active:
            followups = list(
                FollowUp.objects.select_related(*CASE_RELATED)
                .filter(pk__in={notice.followup_id for notice in notices})
                .order_by("due_at", "pk")
            )
            contexts = _case_contexts(followups)
            levels = {notice.followup_id: notice.level for notice in notices}
            cases = [{**contexts[followup.pk], "level": levels[followup.pk]} for followup in followups]
            message = render_email(
                template="followup_escalation",
                context={
                    "cases": cases,
                    "recipient": recipient,
                    "queue_url": absolute_url(reverse("followups:followup_queue")),
                },
                to=recipient.email,
                language=user_language(recipient),
            )
            ids = ",".join(str(notice.pk) for notice in notices)
            key = f"followup-escalations:{recipient_id}:{hashlib.sha256(ids.encode()).hexdigest()[:24]}"
            send_once(key=key, kind="followup_escalation", message=message)
            sent = 1
        EscalationNotice.objects.filter(pk__in=[notice.pk for notice in notices]).update(sent_at=timezone.now())
    return sent


def default_reply_subject(followup: FollowUp) -> str:
    """The subject a reply starts with, in the language the customer answered in (the agent may change it)."""
    with translation.override(wording.spoken(followup.response.language) or settings.LANGUAGE_CODE):
        return _("About your feedback to %(company)s") % {"company": settings.COMPANY_NAME}


def _reply_language(contact) -> str:
    return wording.spoken(contact.language) or settings.LANGUAGE_CODE


def reply_defaults(*, contact, sender) -> tuple[str, str]:
    """The greeting and the signature a reply starts with (the agent may change or drop them), in
    the language the reply is written in: "Hello <name>," and the agent's name over the company's."""
    with translation.override(_reply_language(contact)):
        greeting = _("Hello %(name)s,") % {"name": contact.name} if contact.name else _("Hello,")
    name = (sender.get_full_name() or sender.get_username()) if sender is not None else ""
    return greeting, "\n".join(part for part in (name, settings.COMPANY_NAME) if part)


def _message_id_domain() -> str | None:
    return reply_address.domain() or urlsplit(settings.SITE_URL).hostname or None


def new_message_id() -> str:
    """A Message-ID for an e-mail we thread (RFC 5322), on the inbound domain when there is one."""
    return make_msgid("kringloop", domain=_message_id_domain())


def case_thread_headers(case: FollowUp, *, message_id: str) -> dict[str, str]:
    """The headers that put another e-mail to the customer on `case`'s conversation: Reply-To the
    case's own address (when inbound mail is on), so their answer lands in the case; its
    Message-ID; and In-Reply-To/References to the customer's last e-mail on the case, if any."""
    headers = {"Message-ID": message_id}
    address = reply_address.reply_address("c", case.pk)
    if address:
        headers["Reply-To"] = address
    thread = reply_thread(case)
    if thread:
        headers["In-Reply-To"], headers["References"] = thread["in_reply_to"], thread["references"]
    return headers


def notice_message_id(improvement_id: int, contact_id: int) -> str:
    """The "you said, we did" e-mail's Message-ID: one per improvement and customer, as the e-mail
    itself (its ledger key), so a retried send carries the same one."""
    return f"<kringloop.improvement.{improvement_id}.{contact_id}@{_message_id_domain() or 'kringloop.invalid'}>"


def reply_message(
    *,
    contact,
    sender,
    subject: str,
    body: str,
    greeting: str | None = None,
    signature: str | None = None,
    followup: FollowUp | None = None,
    thread: dict | None = None,
) -> EmailMultiAlternatives:
    """The reply e-mail exactly as it is sent, and as the case page previews it. A greeting or a
    signature of None is the default one (reply_defaults); "" leaves it out. The customer's answer
    goes to the case's own reply address when inbound mail is on (core.reply_address), else to the
    agent; `thread` holds the Message-ID, In-Reply-To and References it carries."""
    default_greeting, default_signature = reply_defaults(contact=contact, sender=sender)
    unsubscribe = unsubscribe_url(contact)
    headers = unsubscribe_headers(contact, url=unsubscribe)
    case_address = reply_address.reply_address("c", followup.pk) if followup is not None else None
    if case_address:
        headers["Reply-To"] = case_address
    elif sender is not None and sender.email:
        headers["Reply-To"] = sender.email
    thread = thread or {}
    for header, name in (("Message-ID", "message_id"), ("In-Reply-To", "in_reply_to"), ("References", "references")):
        if thread.get(name):
            headers[header] = thread[name]
    return render_email(
        template="followup_reply",
        to=contact.email,
        headers=headers,
        language=_reply_language(contact),
        context={
            "contact": contact,
            "subject": subject,
            "greeting": (default_greeting if greeting is None else greeting).strip(),
            "body": body,
            "signature": (default_signature if signature is None else signature).strip(),
            "unsubscribe_url": unsubscribe,
        },
    )


def send_customer_reply(*, event: FollowUpEvent):
    """An agent's reply to the customer, written on the case. Once per reply; the caller has
    checked that the contact may be e-mailed. Replies go to the agent, unsubscribing to us."""
    message = reply_message(
        contact=event.followup.contact,
        sender=event.actor,
        subject=event.data.get("subject", ""),
        body=event.text,
        greeting=event.data.get("greeting"),
        signature=event.data.get("signature"),
        followup=event.followup,
        thread=event.data,
    )
    return send_once(key=f"followup-reply:{event.pk}", kind="followup_reply", message=message)


def send_inbound_notice(*, inbound_id: int) -> int:
    """Tell the case's owner (or, for a team queue, the team lead) that the customer wrote back:
    once per e-mail and recipient (the ledger's key). Returns how many were sent (0 or 1)."""
    inbound = (
        InboundMessage.objects.select_related(*(f"followup__{name}" for name in CASE_RELATED))
        .filter(pk=inbound_id, status=InboundMessage.Status.MATCHED)
        .first()
    )
    if inbound is None or inbound.followup is None:
        return 0
    followup = inbound.followup
    recipient = followup.owner or (followup.team.lead if followup.team_id else None)
    sent = 0
    if recipient is not None and recipient.email and recipient.is_active:
        context = {**_case_contexts([followup])[followup.pk], "inbound": inbound}
        message = render_email(
            template="followup_inbound", context=context, to=recipient.email, language=user_language(recipient)
        )
        delivery = send_once(
            key=f"followup-inbound:{inbound.pk}:{recipient.pk}", kind="followup_inbound", message=message
        )
        sent = int(delivery.status == delivery.Status.SENT)
    InboundMessage.objects.filter(pk=inbound.pk, notified_at__isnull=True).update(notified_at=timezone.now())
    return sent
