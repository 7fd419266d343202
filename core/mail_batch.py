"""Many e-mails in few calls to the mail provider, where its batch API allows it.

Mailgun's batch sending takes one message for up to 1,000 recipients and merges each recipient's own
values (`recipient-variables`) into it on its side; each recipient gets a message of their own, addressed
to them alone. Anymail sends such a message when it carries `merge_data` for several `to` addresses.

- Invitations differ only in their links and the first name: surveys.esp_batch sends them through
  Mailgun's or SendGrid's batch API with those values merged into one rendered body.
- The e-mails that core.mail sends in a batch (`send_many_once`: the owner alerts of a batch of new
  cases, their "why" updates, the day's kudos) differ in everything, so with Mailgun the subject, the
  text and the HTML of each message travel whole as that recipient's values, its headers as their own
  headers (`batches` and `merged` below): a batch of 250 alerts to 10 owners is 25 calls, not 250.
  A message that threads (Message-ID, In-Reply-To, References) goes alone, its headers as made.
  SendGrid allows 10,000 bytes of substitutions a recipient, less than many a message: one call each.

ESP_BATCH (INVITE_ESP_BATCH before) says which provider batches: "auto" (the default) Mailgun and
SendGrid through anymail's backends, "mailgun" or "sendgrid" to say so, "off" one call per message.
"""

from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

_STYLES = ("mailgun", "sendgrid")
_BACKENDS = {
    "anymail.backends.mailgun.EmailBackend": "mailgun",
    "anymail.backends.sendgrid.EmailBackend": "sendgrid",
}
MAX_RECIPIENTS = 1000  # Mailgun's (and SendGrid's) limit per call
MAX_BYTES = 10_000_000  # of merged subjects and bodies per call: well under Mailgun's 25 MB a message
FIELD = "%recipient.{}%"  # how Mailgun marks a recipient's value in a message
# What anymail could carry besides the message itself: a message with any of them goes alone.
_ANYMAIL_EXTRAS = (
    "merge_data",
    "merge_global_data",
    "merge_headers",
    "merge_metadata",
    "metadata",
    "template_id",
    "esp_extra",
    "send_at",
    "envelope_sender",
    "track_clicks",
    "track_opens",
)


# A reply is matched to its thread by these: the provider must send them exactly as made.
_THREADING = {"message-id", "in-reply-to", "references"}


def batch_style() -> str | None:
    """The provider whose batch API the e-mails go through, or None for one call per message."""
    choice = getattr(settings, "ESP_BATCH", "auto")
    if choice == "off":
        return None
    if choice in _STYLES:
        return choice
    return _BACKENDS.get(settings.EMAIL_BACKEND)


def batches(messages: list[EmailMultiAlternatives]) -> list[list[int]]:
    """The positions of `messages` grouped into provider calls: with Mailgun, the messages that can be
    merged (one address each, no attachments, text with an HTML alternative) and share a sender,
    Reply-To, tags and header names go together, no address twice in one call, at most MAX_RECIPIENTS
    and MAX_BYTES a call; every other message, and every message with another provider, alone."""
    if batch_style() != "mailgun":
        return [[position] for position in range(len(messages))]
    calls: list[list[int]] = []
    open_calls: dict[tuple, list[_Call]] = {}
    placed: dict[tuple, int] = {}  # (kind, address): how many of that address's messages are placed
    for position, message in enumerate(messages):
        if not _mergeable(message):
            calls.append([position])
            continue
        kind = _kind(message)
        address = parseaddr(message.to[0])[1].lower()
        size = _size(message)
        candidates = open_calls.setdefault(kind, [])
        start = placed.get((kind, address), 0)  # the n-th message to an address joins the n-th call at the earliest
        index = next((i for i in range(start, len(candidates)) if candidates[i].fits(address, size)), None)
        if index is None:
            index = len(candidates)
            candidates.append(_Call(positions=[]))
            calls.append(candidates[index].positions)
        candidates[index].add(position, address, size)
        placed[(kind, address)] = index + 1
    return calls


def merged(messages: list[EmailMultiAlternatives]) -> EmailMultiAlternatives:
    """One Mailgun batch message that delivers each of `messages` (a group from `batches`) to its own
    recipient: subject, text and HTML as that recipient's values, its headers as their own headers."""
    first = messages[0]
    batch = EmailMultiAlternatives(
        subject=FIELD.format("subject"),
        body=FIELD.format("text"),
        from_email=first.from_email,
        to=[message.to[0] for message in messages],
        reply_to=first.reply_to,
    )
    batch.attach_alternative(FIELD.format("html"), "text/html")
    batch.merge_data, batch.merge_headers = {}, {}
    for message in messages:
        address = parseaddr(message.to[0])[1]  # anymail keys each recipient's values by the bare address
        batch.merge_data[address] = {"subject": message.subject, "text": message.body, "html": _html(message)}
        batch.merge_headers[address] = dict(message.extra_headers)
    batch.tags = list(getattr(first, "tags", None) or [])
    return batch


def hand_back(batch: EmailMultiAlternatives, messages: list[EmailMultiAlternatives]) -> None:
    """After the call: each message carries the provider's status of the batch (its message id)."""
    for message in messages:
        message.anymail_status = getattr(batch, "anymail_status", None)


class _Call:
    def __init__(self, positions: list[int]):
        self.positions, self.addresses, self.bytes = positions, set(), 0

    def fits(self, address: str, size: int) -> bool:
        return (
            address not in self.addresses
            and len(self.positions) < MAX_RECIPIENTS
            and (not self.positions or self.bytes + size <= MAX_BYTES)
        )

    def add(self, position: int, address: str, size: int) -> None:
        self.positions.append(position)
        self.addresses.add(address)
        self.bytes += size


def _mergeable(message) -> bool:
    return (
        isinstance(message, EmailMultiAlternatives)
        and len(message.to) == 1
        and not message.cc
        and not message.bcc
        and not message.attachments
        and message.content_subtype == "plain"
        and [mimetype for _content, mimetype in message.alternatives] == ["text/html"]
        and not any(getattr(message, name, None) for name in _ANYMAIL_EXTRAS)
        and not _THREADING & {name.lower() for name in message.extra_headers}
    )


def _kind(message) -> tuple:
    """What the messages of one call share: all but the subject, the bodies and the headers' values."""
    return (
        message.from_email,
        tuple(message.reply_to),
        tuple(getattr(message, "tags", None) or ()),
        tuple(sorted(name.lower() for name in message.extra_headers)),
    )


def _html(message) -> str:
    return next(content for content, mimetype in message.alternatives if mimetype == "text/html")


def _size(message) -> int:
    return (
        len(message.subject)
        + len(message.body)
        + len(_html(message))
        + sum(len(str(value)) for value in message.extra_headers.values())
    )
