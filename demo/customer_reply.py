"""The demo's "Reply as the customer" (outbox): a customer's answer to an e-mail in the outbox,
posted as Postmark's inbound webhook posts it (postmarkapp.com/developer/webhooks/inbound-webhook)
to anymail's own inbound view with the webhook's credentials, so it takes exactly the path a real
reply takes (anymail's parsing, the inbound signal, followups.inbound). Nothing leaves the machine."""

import base64
import json
import uuid

from django.conf import settings
from django.test import RequestFactory
from django.urls import resolve, reverse
from django.utils import timezone
from django.utils.formats import date_format

from core.models import OutboxMessage
from followups.inbound_text import addresses_in, message_ids
from followups.models import InboundMessage
from surveys.models import Contact

# What the demo customer writes back: a reply, a signature from their phone, then the quoted mail.
REPLY = {
    "en": (
        "Thank you for getting back to me. The invoice is still not right: I was charged twice in "
        "November. Could you call me tomorrow morning?\n\nKind regards,\n{name}",
        "Sent from my iPhone",
        "On {date}, {sender} wrote:",
    ),
    "nl": (
        "Dank voor uw bericht. De factuur klopt nog steeds niet: ik heb in november twee keer "
        "betaald. Kunt u mij morgenochtend bellen?\n\nMet vriendelijke groet,\n{name}",
        "Verzonden vanaf mijn iPhone",
        "Op {date} schreef {sender}:",
    ),
}


def postmark_payload(message: OutboxMessage) -> dict:
    """Postmark's inbound JSON for the customer's answer to `message` (sent to its Reply-To)."""
    sender = (addresses_in(message.to) or [""])[0]
    contact = Contact.objects.filter(email__iexact=sender).first()
    language = contact.language if contact and contact.language in REPLY else "en"
    name = (contact.name if contact else "") or sender.split("@")[0]
    reply_to = (addresses_in(message.headers.get("Reply-To", "")) or [""])[0]
    words, signature, quote_line = REPLY[language]
    reply = words.format(name=name)
    when = date_format(timezone.localtime(message.created_at), "DATETIME_FORMAT")
    quoted = "\n".join(f"> {line}" if line else ">" for line in message.body_text.strip().splitlines())
    text = f"{reply}\n\n{signature}\n\n{quote_line.format(date=when, sender=message.from_email)}\n{quoted}\n"
    message_id = f"<{uuid.uuid4().hex}@mail.customer.example>"
    references = " ".join(dict.fromkeys([*message_ids(message.headers.get("References", "")), message.message_id]))
    subject = message.subject if message.subject.lower().startswith(("re:", "antw:")) else f"Re: {message.subject}"
    return {
        "FromName": name,
        "MessageStream": "inbound",
        "From": sender,
        "FromFull": {"Email": sender, "Name": name, "MailboxHash": ""},
        "To": reply_to,
        "ToFull": [{"Email": reply_to, "Name": "", "MailboxHash": reply_to.split("@")[0].partition("+")[2]}],
        "Cc": "",
        "CcFull": [],
        "Bcc": "",
        "BccFull": [],
        "OriginalRecipient": reply_to,
        "Subject": subject,
        "MessageID": str(uuid.uuid4()),
        "ReplyTo": "",
        "MailboxHash": reply_to.split("@")[0].partition("+")[2],
        "Date": timezone.now().strftime("%a, %d %b %Y %H:%M:%S +0000"),
        "TextBody": text,
        "HtmlBody": "",
        "StrippedTextReply": reply,
        "Tag": "",
        "Headers": [
            {"Name": "Return-Path", "Value": f"<{sender}>"},
            {"Name": "X-Spam-Status", "Value": "No"},
            {"Name": "X-Spam-Score", "Value": "-0.1"},
            {"Name": "MIME-Version", "Value": "1.0"},
            {"Name": "Message-ID", "Value": message_id},
            {"Name": "In-Reply-To", "Value": message.message_id},
            {"Name": "References", "Value": references},
        ],
        "Attachments": [],
    }


def reply_as_customer(message: OutboxMessage) -> InboundMessage | None:
    """Post the customer's answer to `message` through anymail's Postmark inbound view; what it stored."""
    payload = postmark_payload(message)
    path = reverse("anymail:postmark_inbound_webhook")
    credentials = base64.b64encode(settings.ANYMAIL["WEBHOOK_SECRET"].encode()).decode()
    request = RequestFactory().post(
        path, data=json.dumps(payload), content_type="application/json", HTTP_AUTHORIZATION=f"Basic {credentials}"
    )
    response = resolve(path).func(request)
    if response.status_code != 200:
        return None
    message_id = next(h["Value"] for h in payload["Headers"] if h["Name"] == "Message-ID")
    return InboundMessage.objects.filter(dedupe_key=f"msgid:{message_id}").first()
