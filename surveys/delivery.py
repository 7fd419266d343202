"""Handing messages to the mail (or SMS) provider: the connection a batch sends through, and
which errors are worth trying again.

Shared by the invitation batches (surveys.batches), the reminders (surveys.reminders) and the
API's triggered invitations, so all three classify a provider's answer the same way.
"""

import smtplib
from dataclasses import dataclass

from anymail.exceptions import AnymailAPIError, AnymailError, AnymailRecipientsRefused
from django.core.mail import get_connection

from core import sms


class TransientSendError(Exception):
    """The provider failed temporarily; the batch should be retried later."""


@dataclass
class BatchResult:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    held: int = 0  # text messages waiting for the sending hours or the next day's cap
    paused: bool = False
    transient_error: str = ""


def is_transient(error: Exception) -> bool:
    """Will trying again later help? Provider outages, rate limits and network errors: yes.
    Refused recipients, invalid addresses and other 4xx answers: no."""
    if isinstance(error, sms.SmsError):
        return error.transient  # no answer, 429 or 5xx
    if isinstance(error, AnymailRecipientsRefused):
        return False
    if isinstance(error, AnymailAPIError):
        status = getattr(error, "status_code", None)
        return status is None or status == 429 or status >= 500  # no status: a timeout or no connection
    if isinstance(error, AnymailError):
        return False  # invalid address, unsupported feature, unserialisable payload
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _text in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    return isinstance(error, (smtplib.SMTPServerDisconnected, ConnectionError, TimeoutError, OSError))


def describe_error(error: Exception) -> str:
    try:
        text = str(error)
    except Exception:  # noqa: BLE001 - anymail's __str__ needs a response object that may be missing
        text = " ".join(str(arg) for arg in error.args)
    status = getattr(error, "status_code", None)
    return f"{type(error).__name__}{f' ({status})' if status else ''}: {text}"[:1000]


def open_connection(*, on_error=None, channel: str = "email"):
    """The mail (or, for channel "sms", text-message) connection for a batch. Failing to open it
    sends nothing: a temporary failure becomes TransientSendError (the task retries), any other
    propagates."""
    connection = sms.get_connection() if channel == "sms" else get_connection()
    try:
        connection.open()
    except Exception as error:
        if on_error is not None:
            on_error()
        if is_transient(error):
            raise TransientSendError(describe_error(error)) from error
        raise
    return connection
