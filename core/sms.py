"""Text messages: one small interface in the spirit of anymail, whatever the provider.

- `SmsMessage` is what is sent: to (E.164), body, sender, tags and metadata. After a send its
  `anymail_status.message_id` holds the provider's id, as anymail sets it on an e-mail, so
  core.mail.message_id_of reads both.
- A backend (`get_connection()`, chosen by SMS["BACKEND"]) sends messages (`send_messages`, raising
  SmsError, whose `transient` says whether trying later can help: no answer, 429 or 5xx), and reads
  the provider's callbacks: delivery reports (`parse_status`) and replies (`parse_inbound`), each
  checked against the provider's signature first (SignatureError otherwise).
- `OutboxBackend` stores each text message with the e-mails at /outbox/ (demo, development, load
  tests); `ConsoleBackend` logs it. The providers' clients are in core.sms_providers.

Nothing here knows about contacts or invitations: surveys.sms applies what the callbacks say.
"""

import logging
import uuid
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.conf import settings
from django.http import HttpResponse
from django.utils.module_loading import import_string

from core.models import OutboxMessage

logger = logging.getLogger(__name__)

# Where the provider calls back (surveys.urls_sms serves them); the backend's name fills the gap.
STATUS_PATH = "/sms/{backend}/status/"
INBOUND_PATH = "/sms/{backend}/inbound/"

# The delivery states a callback reports, normalised like anymail's tracking events.
SENT, DELIVERED, FAILED = "sent", "delivered", "failed"

BACKENDS = {
    "outbox": "core.sms.OutboxBackend",
    "console": "core.sms.ConsoleBackend",
    "twilio": "core.sms_providers.TwilioBackend",
    "messagebird": "core.sms_providers.MessageBirdBackend",
}


@dataclass
class SmsMessage:
    to: str
    body: str
    from_number: str = ""
    tags: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    anymail_status: SimpleNamespace | None = None  # set by the backend once the provider accepted it


@dataclass
class StatusEvent:
    """A provider's delivery report for one message."""

    message_id: str
    status: str  # SENT, DELIVERED or FAILED
    description: str = ""


@dataclass
class InboundSms:
    """A text message a contact sent us (a reply such as STOP)."""

    sender: str
    body: str
    message_id: str = ""


class SmsError(Exception):
    """The provider did not accept a message. `status_code` is the HTTP status (None: no answer)."""

    def __init__(self, message: str, *, status_code: int | None = None, code: str = ""):
        super().__init__(message)
        self.status_code, self.code = status_code, code

    @property
    def transient(self) -> bool:
        """Will trying again later help? No answer, a rate limit (429) or a server error (5xx): yes."""
        return self.status_code is None or self.status_code == 429 or self.status_code >= 500


class SignatureError(Exception):
    """A callback that does not carry the provider's valid signature."""


class BaseBackend:
    """What every SMS backend offers; subclasses send and read callbacks their provider's way."""

    name = ""

    def __init__(self, conf: dict | None = None):
        self.conf = conf or settings.SMS

    @property
    def sender(self) -> str:
        return self.conf["FROM"]

    def open(self) -> None:
        """Start a session for a batch (optional); a failure to open raises SmsError."""

    def close(self) -> None:
        """End the session."""

    def send_messages(self, messages: list[SmsMessage]) -> int:
        for message in messages:
            message_id = self.send(message)
            message.anymail_status = SimpleNamespace(message_id=message_id, status="queued")
        return len(messages)

    def send(self, message: SmsMessage) -> str:
        """Send one message; return the provider's id for it. Raises SmsError."""
        raise NotImplementedError

    def status_url(self) -> str:
        return settings.SITE_URL + STATUS_PATH.format(backend=self.name)

    def parse_status(self, request) -> list[StatusEvent]:
        raise SignatureError("This SMS backend receives no delivery reports.")

    def parse_inbound(self, request) -> list[InboundSms]:
        raise SignatureError("This SMS backend receives no text messages.")

    def inbound_response(self) -> HttpResponse:
        return HttpResponse("OK", content_type="text/plain")


class OutboxBackend(BaseBackend):
    """Stores each text message as an OutboxMessage (subject "SMS"), like core.mail.OutboxBackend."""

    name = "outbox"

    def send(self, message: SmsMessage) -> str:
        message_id = f"sms-{uuid.uuid4().hex}"
        OutboxMessage.objects.create(
            message_id=message_id,
            from_email=message.from_number or self.sender,
            to=message.to,
            subject="SMS",
            body_text=message.body,
            headers={f"X-Metadata-{k}": str(v) for k, v in message.metadata.items()},
            tags=["sms", *message.tags],
        )
        return message_id


class ConsoleBackend(BaseBackend):
    """Logs each text message (development without a database outbox)."""

    name = "console"

    def send(self, message: SmsMessage) -> str:
        message_id = f"sms-{uuid.uuid4().hex}"
        logger.info(
            "SMS %s to %s from %s: %s", message_id, message.to, message.from_number or self.sender, message.body
        )
        return message_id


def get_connection(name: str | None = None, conf: dict | None = None) -> BaseBackend:
    """The configured SMS backend (or the one named), ready to open."""
    conf = conf or settings.SMS
    return import_string(BACKENDS[name or conf["BACKEND"]])(conf)


def backend_named(name: str) -> BaseBackend | None:
    """The configured backend if it is called `name` (a callback for another one is not ours)."""
    return get_connection() if name == settings.SMS["BACKEND"] else None
