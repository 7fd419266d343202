"""A simulated e-mail provider for tests, built on anymail's own test backend.

Addresses starting with "rejected" are refused permanently; "flaky" ones fail with a 503 the first
time they are sent and succeed after; "down" ones always get a 503 (an outage); "bad-request" ones
a 400 (a permanent API error); "crash" ones an unexpected exception from inside the provider's
client library. This stands in for the provider, not for our code.
"""

import json

import requests
from anymail.backends.test import EmailBackend as AnymailTestBackend
from anymail.exceptions import AnymailAPIError
from anymail.message import AnymailRecipientStatus

FLAKY_SEEN: set[str] = set()


def api_error(status: int, reason: str) -> AnymailAPIError:
    """An API error as anymail raises it for an HTTP answer from the provider."""
    response = requests.Response()
    response.status_code, response.reason = status, reason
    response._content = json.dumps({"error": reason}).encode()
    return AnymailAPIError(f"API error {status}", status_code=status, response=response, esp_name="Simulated")


class SimulatedProvider(AnymailTestBackend):
    def post_to_esp(self, payload, message):
        recipient = message.to[0]
        if recipient.startswith("rejected"):
            message.anymail_test_response = {
                "recipient_status": {recipient: AnymailRecipientStatus(message_id=None, status="rejected")}
            }
        elif recipient.startswith("flaky") and recipient not in FLAKY_SEEN:
            FLAKY_SEEN.add(recipient)
            message.anymail_test_response = api_error(503, "Service Unavailable")
        elif recipient.startswith("down"):
            message.anymail_test_response = api_error(503, "Service Unavailable")
        elif recipient.startswith("bad-request"):
            message.anymail_test_response = api_error(400, "Invalid 'To' header")
        elif recipient.startswith("crash"):
            from django.core import mail

            mail.outbox.append(message)
            raise RuntimeError("the provider's client library broke")
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
