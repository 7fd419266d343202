"""The SMS providers' REST clients behind core.sms's interface: Twilio and MessageBird (Bird).

Each follows its provider's documented API:

Twilio (Programmable Messaging)
- send: POST {TWILIO_API_URL}/2010-04-01/Accounts/{AccountSid}/Messages.json, HTTP basic auth
  AccountSid:AuthToken, form fields To, Body, From (or MessagingServiceSid) and StatusCallback;
  201 with the message's `sid`; errors as JSON {code, message, status}.
- callbacks (status and incoming messages) are form POSTs signed with X-Twilio-Signature: base64
  of HMAC-SHA1, keyed with the Auth Token, over the full URL followed by every POST parameter's
  name and value, sorted by name. Status: MessageSid, MessageStatus (queued, sending, sent,
  delivered, undelivered, failed …), ErrorCode. Incoming: MessageSid, From, Body; answered with
  empty TwiML.

MessageBird (the SMS REST API)
- send: POST {MESSAGEBIRD_API_URL}/messages, header "Authorization: AccessKey {key}", JSON
  originator, body, recipients (numbers without "+"), reference, reportUrl; 201 with the message's
  `id`; errors as JSON {"errors": [{code, description, parameter}]}.
- callbacks (status reports by GET, incoming messages) carry MessageBird-Signature-JWT: a JWT
  (HS256/384/512) keyed with the signing key, issuer "MessageBird", with nbf/exp, url_hash (SHA-256
  hex of the full URL) and payload_hash (SHA-256 hex of the body, present exactly when there is
  one). Status: id, reference, recipient, status (sent, buffered, delivered, expired,
  delivery_failed), statusErrorCode. Incoming: originator, body (older flows: message), id.

The URL a signature covers is the one we gave the provider: SITE_URL plus the request's path and
query, whatever proxy the request came through.
"""

import base64
import hashlib
import hmac
import json
import time

import requests
from django.conf import settings
from django.http import HttpResponse

from core.sms import DELIVERED, FAILED, SENT, BaseBackend, InboundSms, SignatureError, SmsError, SmsMessage, StatusEvent


def _called_url(request) -> str:
    return settings.SITE_URL + request.get_full_path()


class _HttpBackend(BaseBackend):
    """A provider reached over HTTPS with one requests session per batch."""

    def __init__(self, conf=None):
        super().__init__(conf)
        self._session: requests.Session | None = None

    def open(self) -> None:
        if self._session is None:
            self._session = requests.Session()

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def _post(self, url: str, **kwargs) -> requests.Response:
        session = self._session or requests.Session()
        try:
            return session.post(url, timeout=self.conf["TIMEOUT"], **kwargs)
        except requests.RequestException as error:  # no answer: worth trying again
            raise SmsError(f"{type(error).__name__}: {error}") from error
        finally:
            if self._session is None:
                session.close()


def _json(response: requests.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


# --- Twilio ----------------------------------------------------------------------------------------
TWILIO_DELIVERED = {"delivered", "read"}
TWILIO_FAILED = {"undelivered", "failed"}
TWILIO_SENT = {"sent"}


def twilio_signature(auth_token: str, url: str, params: dict[str, list[str]] | dict[str, str]) -> str:
    """X-Twilio-Signature of a request to `url` with these POST parameters."""
    data = url
    for name in sorted(params):
        values = params[name]
        for value in values if isinstance(values, list) else [values]:
            data += name + value
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class TwilioBackend(_HttpBackend):
    name = "twilio"

    def send(self, message: SmsMessage) -> str:
        sid, token = self.conf["TWILIO_ACCOUNT_SID"], self.conf["TWILIO_AUTH_TOKEN"]
        fields = {"To": message.to, "Body": message.body, "StatusCallback": self.status_url()}
        if self.conf["TWILIO_MESSAGING_SERVICE_SID"] and not message.from_number:
            fields["MessagingServiceSid"] = self.conf["TWILIO_MESSAGING_SERVICE_SID"]
        else:
            fields["From"] = message.from_number or self.sender
        response = self._post(
            f"{self.conf['TWILIO_API_URL']}/2010-04-01/Accounts/{sid}/Messages.json", data=fields, auth=(sid, token)
        )
        data = _json(response)
        if response.status_code not in (200, 201) or not data.get("sid"):
            raise SmsError(
                f"Twilio {response.status_code}: {data.get('message') or response.text[:200]}",
                status_code=response.status_code,
                code=str(data.get("code") or ""),
            )
        return str(data["sid"])

    def _verified(self, request) -> dict[str, list[str]]:
        if request.method != "POST":
            raise SignatureError("Twilio posts its callbacks.")
        params = {name: request.POST.getlist(name) for name in request.POST}
        expected = twilio_signature(self.conf["TWILIO_AUTH_TOKEN"], _called_url(request), params)
        given = request.headers.get("X-Twilio-Signature", "")
        if not self.conf["TWILIO_AUTH_TOKEN"] or not hmac.compare_digest(expected, given):
            raise SignatureError("X-Twilio-Signature does not match.")
        return params

    def parse_status(self, request) -> list[StatusEvent]:
        params = self._verified(request)
        status = (params.get("MessageStatus") or params.get("SmsStatus") or [""])[0]
        sid = (params.get("MessageSid") or params.get("SmsSid") or [""])[0]
        state = DELIVERED if status in TWILIO_DELIVERED else FAILED if status in TWILIO_FAILED else SENT
        if not sid or (state == SENT and status not in TWILIO_SENT):
            return []  # queued, sending, accepted …: nothing new for us
        code = (params.get("ErrorCode") or [""])[0]
        return [StatusEvent(message_id=sid, status=state, description=f"{status} {code}".strip())]

    def parse_inbound(self, request) -> list[InboundSms]:
        params = self._verified(request)
        sender = (params.get("From") or [""])[0]
        if not sender:
            return []
        return [
            InboundSms(
                sender=sender, body=(params.get("Body") or [""])[0], message_id=(params.get("MessageSid") or [""])[0]
            )
        ]

    def inbound_response(self) -> HttpResponse:
        # Empty TwiML: no automatic reply from us (Twilio confirms STOP itself on long codes).
        return HttpResponse('<?xml version="1.0" encoding="UTF-8"?><Response></Response>', content_type="text/xml")


# --- MessageBird -----------------------------------------------------------------------------------
MESSAGEBIRD_DELIVERED = {"delivered"}
MESSAGEBIRD_FAILED = {"delivery_failed", "expired"}
JWT_ALGORITHMS = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
JWT_LEEWAY = 1  # seconds, as MessageBird's own libraries allow


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def messagebird_signature(signing_key: str, url: str, body: bytes, *, now: float | None = None, ttl: int = 300) -> str:
    """A MessageBird-Signature-JWT for a request to `url` with `body` (for tests and tools)."""
    now = int(now if now is not None else time.time())
    claims = {"iss": "MessageBird", "nbf": now, "exp": now + ttl, "jti": f"kl-{now}", "url_hash": _sha256(url)}
    if body:
        claims["payload_hash"] = hashlib.sha256(body).hexdigest()
    head = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64url(json.dumps(claims).encode())
    signature = hmac.new(signing_key.encode(), f"{head}.{payload}".encode(), hashlib.sha256).digest()
    return f"{head}.{payload}.{_b64url(signature)}"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("latin-1", "replace")).hexdigest()


def messagebird_verify(signing_key: str, token: str, url: str, body: bytes, *, now: float | None = None) -> dict:
    """The claims of a valid MessageBird-Signature-JWT for this URL and body; SignatureError otherwise."""
    if not signing_key or not token:
        raise SignatureError("No MessageBird signature (or no signing key configured).")
    try:
        head_b64, payload_b64, signature_b64 = token.split(".")
        header = json.loads(_b64url_decode(head_b64))
        claims = json.loads(_b64url_decode(payload_b64))
        signature = _b64url_decode(signature_b64)
    except (ValueError, TypeError):
        raise SignatureError("A malformed MessageBird-Signature-JWT.") from None
    digest = JWT_ALGORITHMS.get(header.get("alg") if isinstance(header, dict) else None)
    if digest is None or not isinstance(claims, dict):
        raise SignatureError("An unsupported JWT algorithm.")
    expected = hmac.new(signing_key.encode(), f"{head_b64}.{payload_b64}".encode(), digest).digest()
    if not hmac.compare_digest(expected, signature):
        raise SignatureError("The MessageBird signature does not match.")
    now = now if now is not None else time.time()
    if claims.get("iss") != "MessageBird":
        raise SignatureError("The JWT was not issued by MessageBird.")
    try:
        if float(claims["nbf"]) > now + JWT_LEEWAY or float(claims["exp"]) <= now - JWT_LEEWAY:
            raise SignatureError("The JWT is not valid now.")
    except (KeyError, TypeError, ValueError):
        raise SignatureError("The JWT lacks nbf or exp.") from None
    if not hmac.compare_digest(str(claims.get("url_hash", "")), _sha256(url)):
        raise SignatureError("The JWT is for another URL.")
    payload_hash = claims.get("payload_hash")
    if bool(body) != bool(payload_hash) or (
        body and not hmac.compare_digest(str(payload_hash), hashlib.sha256(body).hexdigest())
    ):
        raise SignatureError("The JWT is for another payload.")
    return claims


class MessageBirdBackend(_HttpBackend):
    name = "messagebird"

    def send(self, message: SmsMessage) -> str:
        body = {
            "originator": message.from_number or self.sender,
            "body": message.body,
            "recipients": [message.to.lstrip("+")],
            "reportUrl": self.status_url(),
        }
        if message.metadata.get("invitation"):
            body["reference"] = f"invitation-{message.metadata['invitation']}"
        response = self._post(
            f"{self.conf['MESSAGEBIRD_API_URL']}/messages",
            json=body,
            headers={"Authorization": f"AccessKey {self.conf['MESSAGEBIRD_ACCESS_KEY']}", "Accept": "application/json"},
        )
        data = _json(response)
        if response.status_code not in (200, 201) or not data.get("id"):
            errors = data.get("errors") or [{}]
            first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
            raise SmsError(
                f"MessageBird {response.status_code}: {first.get('description') or response.text[:200]}",
                status_code=response.status_code,
                code=str(first.get("code") or ""),
            )
        return str(data["id"])

    def _verified(self, request) -> dict[str, str]:
        body = request.body if request.method == "POST" else b""
        messagebird_verify(
            self.conf["MESSAGEBIRD_SIGNING_KEY"],
            request.headers.get("MessageBird-Signature-JWT", ""),
            _called_url(request),
            body,
        )
        params = dict(request.GET.items())
        if request.method == "POST":
            if request.content_type == "application/json":
                try:
                    loaded = json.loads(body or b"{}")
                except ValueError:
                    loaded = {}
                params.update({k: str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {})
            else:
                params.update(request.POST.items())
        return params

    def parse_status(self, request) -> list[StatusEvent]:
        params = self._verified(request)
        status, message_id = params.get("status", ""), params.get("id", "")
        if not message_id or status not in MESSAGEBIRD_DELIVERED | MESSAGEBIRD_FAILED | {"sent"}:
            return []
        state = DELIVERED if status in MESSAGEBIRD_DELIVERED else FAILED if status in MESSAGEBIRD_FAILED else SENT
        code = params.get("statusErrorCode", "")
        return [StatusEvent(message_id=message_id, status=state, description=f"{status} {code}".strip())]

    def parse_inbound(self, request) -> list[InboundSms]:
        params = self._verified(request)
        sender = params.get("originator", "")
        if not sender:
            return []
        sender = sender if sender.startswith("+") else f"+{sender}"
        return [
            InboundSms(
                sender=sender, body=params.get("body") or params.get("message") or "", message_id=params.get("id", "")
            )
        ]
