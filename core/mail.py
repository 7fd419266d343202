"""E-mail plumbing shared by every app.

- `render_email` builds a message from `templates/emails/<name>_subject.txt`, `_body.txt` and
  `_body.html`, in the recipient's language.
- `send_once` sends a message at most once per idempotency key (EmailDelivery.key);
  `send_many_once` does the same for a batch, in a few statements and over one connection (with
  Mailgun, in few calls: core.mail_batch).
- `OutboxBackend` stores messages in the database instead of sending them (development, demo,
  load tests); admins read them at /outbox/.
Each app keeps one function per e-mail kind in its own `emails.py`, built on these.
"""

import logging
import uuid
from collections.abc import Iterable

import requests
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import DatabaseError, transaction
from django.template import Context, engines
from django.template.loader import render_to_string
from django.utils import timezone, translation
from requests.utils import get_netrc_auth

from core import mail_batch
from core.bulk import insert_rows, update_rows
from core.models import EmailDelivery, OutboxMessage

logger = logging.getLogger(__name__)


def render_text(template_name: str, context: dict) -> str:
    """Plain-text parts are not HTML: render them without HTML escaping."""
    template = engines["django"].engine.get_template(template_name)
    return template.render(Context(context, autoescape=False))


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def render_email(
    *,
    template: str,
    context: dict,
    to: str,
    language: str | None = None,
    headers: dict | None = None,
    from_email: str | None = None,
) -> EmailMultiAlternatives:
    context = {"site_url": settings.SITE_URL, "company": settings.COMPANY_NAME, **context}
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = " ".join(render_text(f"emails/{template}_subject.txt", context).split())
        text = render_text(f"emails/{template}_body.txt", context)
        html = render_to_string(f"emails/{template}_body.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=from_email or settings.DEFAULT_FROM_EMAIL, to=[to], headers=headers or {}
    )
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
    leaves the row pending and propagates, so the task can retry. With the outbox backend the stored
    message commits in the same transaction, which makes it exactly once; with an ESP a crash
    between the provider's acceptance and our commit could repeat one message on retry.
    """
    deliveries, _sent = _send_keyed([(key, kind, message)])
    return deliveries[key]


def send_many_once(items: Iterable[tuple[str, str, EmailMultiAlternatives]]) -> list[EmailDelivery]:
    """send_once for many (key, kind, message) at once; returns the ledger rows of those sent now.

    Same guarantee, in a few statements: the missing ledger rows are inserted and all of them
    locked in one transaction, in key order (two workers with overlapping batches wait for each
    other instead of deadlocking; the second then finds the rows sent). The messages go out over
    one backend connection, with Mailgun many in one call (core.mail_batch). A message (or call)
    the provider refuses stays pending while the others are recorded as sent and committed; then
    its error is raised, so the task retries and the retry sends only what is still pending. A
    database error (the outbox backend) rolls the whole batch back, its stored messages with it.
    With an ESP, a crash of the worker between the provider's acceptance and our commit could
    repeat the batch's messages sent so far (one, with send_once).
    """
    return _send_keyed(items)[1]


def _send_keyed(items) -> tuple[dict[str, EmailDelivery], list[EmailDelivery]]:
    """(every key's ledger row, the rows sent by this call)."""
    by_key: dict[str, tuple[str, EmailMultiAlternatives]] = {}
    for key, kind, message in items:
        by_key.setdefault(key, (kind, message))  # the same key twice in a batch is one e-mail
    if not by_key:
        return {}, []
    keys = sorted(by_key)
    errors: list[Exception] = []
    with transaction.atomic():
        # Inserting waits for another transaction inserting the same key, then skips it; the
        # SELECT then locks every row, existing or new, until this transaction ends.
        now = timezone.now()
        insert_rows(  # one statement of fixed text on PostgreSQL, whatever the batch's length
            EmailDelivery,
            ("key", "kind", "to", "status", "message_id", "error", "created_at"),
            [
                (key, by_key[key][0], by_key[key][1].to[0], EmailDelivery.Status.PENDING.value, "", "", now)
                for key in keys
            ],
        )
        deliveries = {
            row.key: row for row in EmailDelivery.objects.select_for_update().filter(key__any=keys).order_by("key")
        }
        pending = [deliveries[key] for key in keys if deliveries[key].status != EmailDelivery.Status.SENT]
        sent = _send_pending(pending, {key: message for key, (_kind, message) in by_key.items()}, errors)
        if sent:
            now = timezone.now()
            message_ids = {row.pk: message_id_of(by_key[row.key][1])[:200] for row in sent}
            update_rows(  # one statement of fixed text on PostgreSQL, whatever the batch's length
                EmailDelivery, "message_id", message_ids, status=EmailDelivery.Status.SENT.value, sent_at=now, error=""
            )
            for row in sent:
                row.status, row.message_id, row.sent_at, row.error = (
                    EmailDelivery.Status.SENT,
                    message_ids[row.pk],
                    now,
                    "",
                )
    if errors:
        raise errors[0]  # after the commit: what did go out stays recorded as sent
    return deliveries, sent


def _send_pending(pending: list[EmailDelivery], messages: dict, errors: list) -> list[EmailDelivery]:
    """Send the message of each pending row; the rows sent. Errors of the provider are appended
    to `errors` and the rest is still sent; a database error propagates (the transaction is lost)."""
    sent = []
    if not pending:
        return sent
    outgoing = [messages[row.key] for row in pending]
    for row, message in zip(pending, outgoing):
        # The key travels with the message, so duplicates can be counted on the receiving side.
        message.extra_headers["X-Kringloop-Key"] = row.key
    connection = get_connection()
    opened = connection.open()  # one SMTP session / HTTP session for the batch
    _environment_once(connection)
    try:
        for call in mail_batch.batches(outgoing):  # with Mailgun, many messages a call (core.mail_batch)
            group = [outgoing[position] for position in call]
            batch = group[0] if len(group) == 1 else mail_batch.merged(group)
            try:
                connection.send_messages([batch])
            except DatabaseError:
                raise
            except Exception as error:  # these stay pending and are retried; the others go on
                keys = ", ".join(pending[position].key for position in call)
                logger.warning("Could not send e-mail %s; it stays pending.", keys, exc_info=True)
                errors.append(error)
                continue
            if len(group) > 1:
                mail_batch.hand_back(batch, group)
            sent.extend(pending[position] for position in call)
    finally:
        if opened is not False:  # None from backends that do not say; False: it was open already
            connection.close()
    return sent


def _environment_once(connection) -> None:
    """An HTTP API backend's requests session (anymail's) looks up the proxy settings, the CA bundle
    and ~/.netrc in the environment again for every message: a quarter of an owner alert's sending
    CPU. They are read once for the API's address when the session opens and kept on the session,
    which then stops looking (the same settings, as the environment does not change while it is open)."""
    session, url = getattr(connection, "session", None), getattr(connection, "api_url", None)
    if not isinstance(session, requests.Session) or not session.trust_env or not url:
        return
    found = session.merge_environment_settings(url, {}, None, None, None)
    session.proxies.update(found["proxies"])
    session.verify = found["verify"]
    if session.auth is None:
        session.auth = get_netrc_auth(url)
    session.trust_env = False


def forget_address(email: str, *, replacement: str) -> None:
    """Privacy erasure: the outbox copies sent to `email` go; the ledger keeps its rows (the
    idempotency keys must stay) under `replacement` instead of the address."""
    OutboxMessage.objects.filter(to__iexact=email).delete()
    EmailDelivery.objects.filter(to__iexact=email).update(to=replacement)


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
