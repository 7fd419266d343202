"""The SMS provider's callbacks: delivery reports and replies (STOP).

Only the configured backend's callbacks are answered (/sms/<backend>/…, any other name is a 404),
and only with the provider's valid signature (core.sms_providers checks it; 403 otherwise). No
CSRF token and no cookie: the provider's signature is what authorises the request.
"""

import logging

from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from core import sms as sms_core
from surveys.sms import sms_inbound_apply, sms_status_apply

logger = logging.getLogger(__name__)


def _backend(name: str) -> sms_core.BaseBackend:
    backend = sms_core.backend_named(name)
    if backend is None:
        raise Http404
    return backend


@csrf_exempt
@require_http_methods(["GET", "POST"])  # MessageBird reports by GET, Twilio by POST
def sms_status(request, backend: str):
    provider = _backend(backend)
    try:
        events = provider.parse_status(request)
    except sms_core.SignatureError as error:
        logger.warning("SMS status callback refused (%s): %s", backend, error)
        return HttpResponseForbidden()
    for event in events:
        result = sms_status_apply(message_id=event.message_id, status=event.status, description=event.description)
        logger.info("SMS status %s for %s: %s", event.status, event.message_id, result)
    return HttpResponse("OK", content_type="text/plain")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def sms_inbound(request, backend: str):
    provider = _backend(backend)
    try:
        messages = provider.parse_inbound(request)
    except sms_core.SignatureError as error:
        logger.warning("Incoming SMS refused (%s): %s", backend, error)
        return HttpResponseForbidden()
    for message in messages:
        result = sms_inbound_apply(sender=message.sender, body=message.body)
        logger.info("Incoming SMS %s: %s", message.message_id or "(no id)", result)
    return provider.inbound_response()
