"""A simulated e-mail provider for tests, built on anymail's own test backend.

Addresses starting with "rejected" are refused permanently; "flaky" ones fail with a 503 the first
time they are sent and succeed after. This stands in for the provider, not for our code.
"""

from anymail.backends.test import EmailBackend as AnymailTestBackend
from anymail.exceptions import AnymailAPIError
from anymail.message import AnymailRecipientStatus

FLAKY_SEEN: set[str] = set()


class SimulatedProvider(AnymailTestBackend):
    def post_to_esp(self, payload, message):
        recipient = message.to[0]
        if recipient.startswith("rejected"):
            message.anymail_test_response = {
                "recipient_status": {recipient: AnymailRecipientStatus(message_id=None, status="rejected")}}
        elif recipient.startswith("flaky") and recipient not in FLAKY_SEEN:
            FLAKY_SEEN.add(recipient)
            error = AnymailAPIError("Service unavailable", status_code=503)
            error.status_code = 503
            message.anymail_test_response = error
        return super().post_to_esp(payload, message)


class DiscardingTestBackend(AnymailTestBackend):
    """anymail's test backend, forgetting each message once "sent" (for 100,000-message benchmarks)."""

    def post_to_esp(self, payload, message):
        response = super().post_to_esp(payload, message)
        from django.core import mail

        mail.outbox.clear()
        return response

    def get_esp_message_id(self, message):
        import uuid

        return uuid.uuid4().hex
