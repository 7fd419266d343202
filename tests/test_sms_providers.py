"""The SMS providers' clients (core.sms_providers) against a local HTTP server that checks each
request as the provider documents it (tests/sms_provider.py), and their callbacks' signatures."""

import base64
import hashlib
import hmac
import json
import time

import pytest

from core.sms import DELIVERED, FAILED, SignatureError, SmsError, SmsMessage, get_connection
from core.sms_providers import messagebird_signature, messagebird_verify, twilio_signature
from surveys.delivery import TransientSendError, is_transient, open_connection
from tests.sms_provider import MESSAGEBIRD_KEY, MESSAGEBIRD_SIGNING_KEY, TWILIO_SID, TWILIO_TOKEN, SimulatedSmsApi


@pytest.fixture
def api():
    server = SimulatedSmsApi()
    yield server
    server.close()


def conf(settings, api, backend: str, **extra) -> dict:
    settings.SMS = {
        **settings.SMS,
        "BACKEND": backend,
        "FROM": "+3197010000000",
        "TWILIO_ACCOUNT_SID": TWILIO_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_MESSAGING_SERVICE_SID": "",
        "TWILIO_API_URL": api.url,
        "MESSAGEBIRD_ACCESS_KEY": MESSAGEBIRD_KEY,
        "MESSAGEBIRD_SIGNING_KEY": MESSAGEBIRD_SIGNING_KEY,
        "MESSAGEBIRD_API_URL": api.url,
        **extra,
    }
    return settings.SMS


# --- Twilio ----------------------------------------------------------------------------------------
def test_twilio_sends_with_basic_auth_and_the_documented_form_fields(settings, api):
    conf(settings, api, "twilio")
    backend = get_connection()
    backend.open()
    message = SmsMessage(to="+31612345678", body="Acme: how likely … https://nps.example.com/s/abc/")
    backend.send_messages([message])
    backend.close()

    [seen] = api.requests
    assert seen.problems == []
    assert seen.fields == {
        "To": "+31612345678",
        "From": "+3197010000000",
        "Body": "Acme: how likely … https://nps.example.com/s/abc/",
        "StatusCallback": f"{settings.SITE_URL}/sms/twilio/status/",
    }
    assert message.anymail_status.message_id.startswith("SM")


def test_twilio_uses_the_messaging_service_when_one_is_configured(settings, api):
    conf(settings, api, "twilio", TWILIO_MESSAGING_SERVICE_SID="MG" + "1" * 32)
    get_connection().send_messages([SmsMessage(to="+31612345678", body="Hi")])
    assert api.requests[0].fields["MessagingServiceSid"] == "MG" + "1" * 32
    assert "From" not in api.requests[0].fields


@pytest.mark.parametrize(("status", "transient"), [(429, True), (500, True), (503, True), (400, False), (401, False)])
def test_twilio_errors_say_whether_a_retry_can_help(settings, api, status, transient):
    conf(settings, api, "twilio")
    api.fail_next(status, body={"code": 21211, "message": "The 'To' number is not valid.", "status": status})
    with pytest.raises(SmsError) as raised:
        get_connection().send_messages([SmsMessage(to="+31612345678", body="Hi")])
    assert raised.value.status_code == status
    assert is_transient(raised.value) is transient


def test_a_wrong_auth_token_is_refused_by_the_provider_and_not_retried(settings, api):
    conf(settings, api, "twilio", TWILIO_AUTH_TOKEN="wrong")
    with pytest.raises(SmsError) as raised:
        get_connection().send_messages([SmsMessage(to="+31612345678", body="Hi")])
    assert raised.value.status_code == 401 and not raised.value.transient


def test_no_answer_from_the_provider_is_worth_a_retry(settings, api):
    conf(settings, api, "twilio", TWILIO_API_URL="http://127.0.0.1:9", TIMEOUT=2)
    with pytest.raises(SmsError) as raised:
        get_connection().send_messages([SmsMessage(to="+31612345678", body="Hi")])
    assert raised.value.status_code is None and is_transient(raised.value)


def test_twilio_signature_matches_the_documented_example():
    # The example of Twilio's webhook security documentation, as published with its signature.
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+12349013030",
        "Digits": "1234",
        "From": "+12349013030",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature("12345", url, params) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    # The same computed by hand: HMAC-SHA1 over the URL and the sorted name+value pairs, base64.
    data = url + "".join(name + params[name] for name in sorted(params))
    assert (
        twilio_signature("12345", url, params)
        == base64.b64encode(hmac.new(b"12345", data.encode(), hashlib.sha1).digest()).decode()
    )


def test_twilio_status_callback_is_checked_and_read(settings, api, rf):
    conf(settings, api, "twilio")
    params = {"MessageSid": "SM1", "MessageStatus": "undelivered", "ErrorCode": "30003", "AccountSid": TWILIO_SID}
    path = "/sms/twilio/status/"
    request = rf.post(
        path, params, HTTP_X_TWILIO_SIGNATURE=twilio_signature(TWILIO_TOKEN, settings.SITE_URL + path, params)
    )
    [event] = get_connection().parse_status(request)
    assert (event.message_id, event.status, event.description) == ("SM1", FAILED, "undelivered 30003")

    delivered = {**params, "MessageStatus": "delivered"}
    del delivered["ErrorCode"]
    request = rf.post(
        path, delivered, HTTP_X_TWILIO_SIGNATURE=twilio_signature(TWILIO_TOKEN, settings.SITE_URL + path, delivered)
    )
    assert get_connection().parse_status(request)[0].status == DELIVERED

    forged = rf.post(
        path, params, HTTP_X_TWILIO_SIGNATURE=twilio_signature("not-the-token", settings.SITE_URL + path, params)
    )
    with pytest.raises(SignatureError):
        get_connection().parse_status(forged)
    changed = rf.post(
        path, {**params, "MessageStatus": "delivered"}, HTTP_X_TWILIO_SIGNATURE=request.headers["X-Twilio-Signature"]
    )
    with pytest.raises(SignatureError):
        get_connection().parse_status(changed)


# --- MessageBird -----------------------------------------------------------------------------------
def test_messagebird_sends_json_with_the_access_key(settings, api):
    conf(settings, api, "messagebird")
    message = SmsMessage(to="+31612345678", body="Hoi", metadata={"invitation": "42"})
    get_connection().send_messages([message])
    [seen] = api.requests
    assert seen.problems == []
    assert seen.fields == {
        "originator": "+3197010000000",
        "body": "Hoi",
        "recipients": ["31612345678"],
        "reference": "invitation-42",
        "reportUrl": f"{settings.SITE_URL}/sms/messagebird/status/",
    }
    assert len(message.anymail_status.message_id) == 32


@pytest.mark.parametrize(("status", "transient"), [(429, True), (503, True), (422, False)])
def test_messagebird_errors_say_whether_a_retry_can_help(settings, api, status, transient):
    conf(settings, api, "messagebird")
    api.fail_next(status, body={"errors": [{"code": 9, "description": "no (correct) recipients found"}]})
    with pytest.raises(SmsError) as raised:
        get_connection().send_messages([SmsMessage(to="+31612345678", body="Hi")])
    assert raised.value.transient is transient
    assert "no (correct) recipients found" in str(raised.value)


def test_messagebird_signature_jwt_is_verified_as_documented():
    url, body = "https://nps.example.com/sms/messagebird/status/?id=abc&status=delivered", b""
    now = time.time()
    token = messagebird_signature(MESSAGEBIRD_SIGNING_KEY, url, body, now=now)
    claims = messagebird_verify(MESSAGEBIRD_SIGNING_KEY, token, url, body, now=now)
    assert claims["iss"] == "MessageBird" and claims["url_hash"] == hashlib.sha256(url.encode()).hexdigest()
    assert "payload_hash" not in claims  # no body, no payload_hash

    for bad in (
        lambda: messagebird_verify("another-key", token, url, body, now=now),
        lambda: messagebird_verify(MESSAGEBIRD_SIGNING_KEY, token, url + "&status=x", body, now=now),
        lambda: messagebird_verify(MESSAGEBIRD_SIGNING_KEY, token, url, b'{"a": 1}', now=now),
        lambda: messagebird_verify(MESSAGEBIRD_SIGNING_KEY, token, url, body, now=now + 3600),  # expired
        lambda: messagebird_verify(MESSAGEBIRD_SIGNING_KEY, "not.a.jwt", url, body, now=now),
        lambda: messagebird_verify(MESSAGEBIRD_SIGNING_KEY, "", url, body, now=now),
    ):
        with pytest.raises(SignatureError):
            bad()

    posted = b'{"originator": "31612345678", "body": "STOP"}'
    signed = messagebird_signature(MESSAGEBIRD_SIGNING_KEY, url, posted, now=now)
    assert messagebird_verify(MESSAGEBIRD_SIGNING_KEY, signed, url, posted, now=now)["payload_hash"] == (
        hashlib.sha256(posted).hexdigest()
    )


def test_a_jwt_from_another_issuer_or_with_alg_none_is_refused():
    url = "https://nps.example.com/sms/messagebird/status/"
    now = int(time.time())

    def token(header, claims, key=MESSAGEBIRD_SIGNING_KEY):
        enc = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()  # noqa: E731
        signing_input = f"{enc(header)}.{enc(claims)}"
        sig = hmac.new(key.encode(), signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{base64.urlsafe_b64encode(sig).rstrip(b'=').decode()}"

    claims = {"iss": "Someone", "nbf": now, "exp": now + 60, "url_hash": hashlib.sha256(url.encode()).hexdigest()}
    with pytest.raises(SignatureError):
        messagebird_verify(MESSAGEBIRD_SIGNING_KEY, token({"alg": "HS256"}, claims), url, b"", now=now)
    with pytest.raises(SignatureError):
        messagebird_verify(MESSAGEBIRD_SIGNING_KEY, token({"alg": "none"}, {**claims, "iss": "MessageBird"}), url, b"")


def test_messagebird_status_report_by_get_is_read(settings, api, rf):
    conf(settings, api, "messagebird")
    path = (
        "/sms/messagebird/status/?id=mb1&reference=invitation-1&recipient=31612345678"
        "&status=delivery_failed&statusErrorCode=104"
    )
    request = rf.get(
        path,
        HTTP_MESSAGEBIRD_SIGNATURE_JWT=messagebird_signature(MESSAGEBIRD_SIGNING_KEY, settings.SITE_URL + path, b""),
    )
    [event] = get_connection().parse_status(request)
    assert (event.message_id, event.status, event.description) == ("mb1", FAILED, "delivery_failed 104")


# --- Through the batches' connection ----------------------------------------------------------------
def test_a_connection_that_cannot_open_is_a_transient_error(monkeypatch):
    class Broken:
        def open(self):
            raise SmsError("no network")

    from core import sms

    monkeypatch.setattr(sms, "get_connection", lambda *a, **k: Broken())
    with pytest.raises(TransientSendError):
        open_connection(channel="sms")
