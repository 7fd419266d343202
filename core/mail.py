"""E-mail plumbing shared by every app.

- `render_email` builds a message from `templates/emails/<name>_subject.txt`, `_body.txt` and
  `_body.html`, in the recipient's language.
- `send_once` sends a message at most once per idempotency key (EmailDelivery.key).
- `OutboxBackend` stores messages in the database instead of sending them (development, demo,
  load tests); admins read them at /outbox/.
Each app keeps one function per e-mail kind in its own `emails.py`, built on these.
"""

import uuid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.template import Context, engines
from django.template.loader import render_to_string
from django.utils import timezone, translation

from core.models import EmailDelivery, OutboxMessage


def render_text(template_name: str, context: dict) -> str:
    """Plain-text parts are not HTML: render them without HTML escaping."""
    template = engines["django"].engine.get_template(template_name)
    return template.render(Context(context, autoescape=False))


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def render_email(*, template: str, context: dict, to: str, language: str | None = None,
                 headers: dict | None = None, from_email: str | None = None) -> EmailMultiAlternatives:
    context = {"site_url": settings.SITE_URL, "company": settings.COMPANY_NAME, **context}
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = " ".join(render_text(f"emails/{template}_subject.txt", context).split())
        text = render_text(f"emails/{template}_body.txt", context)
        html = render_to_string(f"emails/{template}_body.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, from_email=from_email or settings.DEFAULT_FROM_EMAIL,
                                     to=[to], headers=headers or {})
    message.attach_alternative(html, "text/html")
    message.tags = [template]  # anymail reads .tags
    return message


def message_id_of(message) -> str:
    status = getattr(message, "anymail_status", None)
    if status is not None and getattr(status, "message_id", None) is not None:
        return str(status.message_id)
    return message.extra_headers.get("Message-ID", "")


def send_once(*, key: str, kind: str, message: EmailMultiAlternatives) -> EmailDelivery:
    """Send `message` unless an e-mail with this key was already sent.

    The ledger row is locked for the duration of the send, so two workers running the same task
    at once send once: the second waits for the first and then sees status=sent. A provider error
    rolls the row back and propagates, so the task can retry. With the outbox backend the stored
    message commits in the same transaction, which makes it exactly once; with an ESP a crash
    between the provider's acceptance and our commit could repeat one message on retry.
    """
    with transaction.atomic():
        delivery, _ = EmailDelivery.objects.select_for_update().get_or_create(
            key=key, defaults={"kind": kind, "to": message.to[0]}
        )
        if delivery.status == EmailDelivery.Status.SENT:
            return delivery
        # The key travels with the message, so duplicates can be counted on the receiving side.
        message.extra_headers["X-Kringloop-Key"] = key
        message.send()
        delivery.status = EmailDelivery.Status.SENT
        delivery.message_id = message_id_of(message)[:200]
        delivery.sent_at = timezone.now()
        delivery.error = ""
        delivery.save(update_fields=["status", "message_id", "sent_at", "error"])
    return delivery


class OutboxBackend(BaseEmailBackend):
    """Stores each message as an OutboxMessage row. Behaves like an ESP that accepts everything."""

    def send_messages(self, email_messages):
        count = 0
        for message in email_messages:
            message_id = message.extra_headers.get("Message-ID") or f"<{uuid.uuid4().hex}@kringloop.outbox>"
            html = ""
            for content, mimetype in getattr(message, "alternatives", []) or []:
                if mimetype == "text/html":
                    html = content
            OutboxMessage.objects.create(
                message_id=message_id,
                from_email=message.from_email,
                to=", ".join(message.to),
                subject=message.subject,
                body_text=message.body,
                body_html=html,
                headers={k: str(v) for k, v in message.extra_headers.items()},
                tags=list(getattr(message, "tags", []) or []),
            )
            message.extra_headers["Message-ID"] = message_id
            count += 1
        return count
