"""Customers' e-mails coming back into their case.

Every e-mail to a customer carries Reply-To: reply+<signed token>@INBOUND_DOMAIN (core.reply_address).
The ESP posts what arrives there to anymail's inbound webhook (/anymail/<esp>/inbound/, behind the
same basic auth as the tracking webhook; Mailgun's is also signed), anymail turns each ESP's payload
into one AnymailInboundMessage, and `on_inbound` (connected in FollowupsConfig.ready) hands it to
`inbound_receive`:

- the token must be genuine and name a case (or an invitation whose answer has a case), and the
  sender must be that case's customer; otherwise the e-mail goes to the admins' unmatched list,
  with the reason, and to no case;
- a matched e-mail joins the case's history (the reply without the quoted mail and signature; the
  full text one click away; attachments listed, kept only with INBOUND_KEEP_ATTACHMENTS within
  INBOUND_ATTACHMENT_MAX_BYTES), an open case becomes "customer replied", and its owner (or the
  team lead) is told once, through the e-mail ledger;
- auto-replies and delivery reports are recorded as such and change nothing else.
The same e-mail posted twice (ESPs retry until they get a 200) is stored once.
"""

import hashlib
import logging
import secrets

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_noop

import webhooks.events
import webhooks.payloads
from core import reply_address
from core.audit import audit_log
from core.queue import enqueue_on_commit
from followups.history import said
from followups.inbound_text import addresses_in, automatic_kind, trim_reply
from followups.models import FollowUp, FollowUpEvent, InboundMessage
from followups.services import history_add
from surveys.models import Invitation

logger = logging.getLogger(__name__)

NOTIFY_TASK = "followups.tasks.notify_inbound"
MAX_TEXT = 100_000  # characters of an e-mail's text kept
S = FollowUp.Status
# A case waiting for the customer: their e-mail makes it "customer replied". A resolved or closed
# case stays as it is (its owner is still told and may reopen it).
WAITING = (S.NEW, S.IN_PROGRESS, S.CONTACTED)


def on_inbound(sender, event, esp_name, **kwargs):
    """anymail's `inbound` signal."""
    inbound_receive(message=event.message, esp=esp_name, event_id=event.event_id or "")


def _recipients(message) -> list[str]:
    values = [str(message.envelope_recipient or "")]
    for header in ("To", "Cc", "Delivered-To", "X-Original-To"):
        values.extend(message.get_all(header) or [])
    return addresses_in(*values)


def _dedupe_key(message, esp: str, event_id: str, text: str) -> str:
    message_id = (message.get("Message-ID") or "").strip()
    if message_id:
        return f"msgid:{message_id}"[:200]
    if event_id:
        return f"{esp}:{event_id}"[:200]
    digest = hashlib.sha256(f"{message.get('From')}|{message.get('Subject')}|{text}".encode()).hexdigest()
    return f"sha256:{digest}"


def _text_of(message) -> str:
    text = message.text
    if not text and message.html:
        text = strip_tags(message.html)
    return (text or "").strip()[:MAX_TEXT]


def _attachments(message) -> list[dict]:
    """What the e-mail carried: name, type and size of each attachment; its file only when kept."""
    keep = settings.INBOUND_KEEP_ATTACHMENTS
    limit = settings.INBOUND_ATTACHMENT_MAX_BYTES
    folder = f"inbound/{secrets.token_hex(16)}"  # unguessable, and never a name the sender chose
    listed = []
    for number, part in enumerate(message.attachments or [], start=1):
        content = part.get_content_bytes() or b""
        name = (part.get_filename() or "").strip()[:200] or f"attachment-{number}"
        item = {"name": name, "type": part.get_content_type(), "size": len(content), "path": ""}
        if keep and len(content) <= limit:
            safe = get_valid_filename(name) or f"attachment-{number}"
            item["path"] = default_storage.save(f"{folder}/{number}-{safe}", ContentFile(content))
        elif keep:
            item["too_large"] = True
        listed.append(item)
    return listed


def _match(message, from_email: str) -> tuple[FollowUp | None, str]:
    """(the case, "") or (None, why not)."""
    parsed = reply_address.first_ours(_recipients(message))
    if parsed is None:
        return None, InboundMessage.Reason.NO_ADDRESS
    if not parsed.genuine:
        return None, InboundMessage.Reason.FORGED
    case = None
    if parsed.kind == "c":
        case = FollowUp.objects.select_related("contact").filter(pk=parsed.pk).first()
    elif parsed.kind == "i":
        invitation = Invitation.objects.filter(pk=parsed.pk).first()
        if invitation is not None:
            case = FollowUp.objects.select_related("contact").filter(response__invitation=invitation).first()
    if case is None:
        return None, InboundMessage.Reason.NO_CASE
    if case.contact is None or not from_email or case.contact.email.lower() != from_email.lower():
        return None, InboundMessage.Reason.OTHER_SENDER
    return case, ""


def inbound_receive(*, message, esp: str = "", event_id: str = "") -> InboundMessage:
    """Store one e-mail that came in, on its case or on the unmatched list (see the module)."""
    sender = message.from_email
    from_email = (sender.addr_spec if sender else "").lower()[:254]
    text = _text_of(message)
    key = _dedupe_key(message, esp, event_id, text)
    existing = InboundMessage.objects.filter(dedupe_key=key).first()
    if existing is not None:
        return existing
    headers = list(message.items())
    kind = automatic_kind(
        headers,
        from_email=from_email,
        subject=message.subject or "",
        content_type=message.get("Content-Type", ""),
        envelope_sender=message.envelope_sender,
    )
    stripped = (getattr(message, "stripped_text", None) or "").strip()
    values = {
        "kind": kind or InboundMessage.Kind.REPLY,
        "esp": esp[:40],
        "dedupe_key": key,
        "message_id": (message.get("Message-ID") or "").strip()[:300],
        "in_reply_to": (message.get("In-Reply-To") or "").strip()[:300],
        "references": (message.get("References") or "").strip()[:5000],
        "from_email": from_email,
        "from_name": (sender.display_name if sender else "")[:200],
        "to": ", ".join(_recipients(message))[:2000],
        "subject": (message.subject or "")[:998],
        "text": text,
        "reply_text": (stripped or trim_reply(text))[:MAX_TEXT],
    }
    case, reason = _match(message, from_email)
    try:
        with transaction.atomic():
            values["attachments"] = _attachments(message)
            if case is None:
                inbound = InboundMessage.objects.create(
                    status=InboundMessage.Status.UNMATCHED, reason=reason, notified_at=timezone.now(), **values
                )
                logger.info("Inbound e-mail %s from %s is unmatched: %s.", inbound.pk, from_email, reason)
                return inbound
            return _on_case(case, values)
    except IntegrityError:  # the same e-mail, posted twice at once: the other request stored it
        return InboundMessage.objects.get(dedupe_key=key)


def _on_case(case: FollowUp, values: dict) -> InboundMessage:
    case = FollowUp.objects.select_for_update().get(pk=case.pk)
    automatic = values["kind"] != InboundMessage.Kind.REPLY
    event = history_add(
        case,
        FollowUpEvent.Kind.INBOUND,
        text=values["reply_text"],
        subject=values["subject"],
        sender=values["from_email"],
        automatic=values["kind"] if automatic else "",
        attachments=[item["name"] for item in values["attachments"]],
    )
    inbound = InboundMessage.objects.create(
        status=InboundMessage.Status.MATCHED,
        followup=case,
        event=event,
        notified_at=timezone.now() if automatic else None,
        **values,
    )
    if automatic:
        return inbound
    if case.status in WAITING:
        previous = case.status
        case.status = S.REPLIED
        case.save(update_fields=["status", "updated_at"])
        history_add(
            case,
            FollowUpEvent.Kind.STATUS,
            **said(gettext_noop("Status: %(status_from)s → %(status_to)s."), status_from=previous, status_to=S.REPLIED),
            status_from=previous,
            status_to=S.REPLIED,
        )
    audit_log(actor=None, action="followup.customer_replied", target=case, data={"inbound": inbound.pk})
    webhooks.events.emit("followup.replied", case, extra={"reply": webhooks.payloads.reply_data(inbound)})
    enqueue_on_commit(NOTIFY_TASK, inbound.pk)
    return inbound


def inbound_attach(*, inbound: InboundMessage, case: FollowUp, actor) -> InboundMessage:
    """An admin puts an unmatched e-mail on a case they chose (audit-logged). Nothing changes on the
    case but its history: the admin decided, Kringloop did not guess."""
    with transaction.atomic():
        locked = InboundMessage.objects.select_for_update().get(pk=inbound.pk)
        if locked.status == InboundMessage.Status.MATCHED:
            return locked
        event = history_add(
            case,
            FollowUpEvent.Kind.INBOUND,
            actor=actor,
            text=locked.reply_text,
            subject=locked.subject,
            sender=locked.from_email,
            automatic=locked.kind if locked.is_automatic else "",
            attachments=[item["name"] for item in locked.attachments],
        )
        locked.status, locked.followup, locked.event = InboundMessage.Status.MATCHED, case, event
        locked.handled_by, locked.handled_at = actor, timezone.now()
        locked.save(update_fields=["status", "followup", "event", "handled_by", "handled_at"])
        audit_log(
            actor=actor,
            action="inbound.attached",
            target=case,
            data={"inbound": locked.pk, "from": locked.from_email, "reason": locked.reason},
        )
    return locked


def inbound_dismiss(*, inbound: InboundMessage, actor) -> None:
    with transaction.atomic():
        updated = InboundMessage.objects.filter(pk=inbound.pk, status=InboundMessage.Status.UNMATCHED).update(
            status=InboundMessage.Status.DISMISSED, handled_by=actor, handled_at=timezone.now()
        )
        if updated:
            audit_log(actor=actor, action="inbound.dismissed", data={"inbound": inbound.pk, "from": inbound.from_email})


def inbound_forget(*, inbound_ids) -> None:
    """Erasure and retention: the e-mails go, their kept attachments with them."""
    for inbound in InboundMessage.objects.filter(pk__in=list(inbound_ids)):
        for item in inbound.attachments or []:
            if item.get("path"):
                default_storage.delete(item["path"])
    InboundMessage.objects.filter(pk__in=list(inbound_ids)).delete()
