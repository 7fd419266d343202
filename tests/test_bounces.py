"""Bounces and complaints from Postmark, SendGrid and Mailgun, with payloads shaped as each documents them.

Only a permanent failure (a hard bounce, a 5.x.x status, Postmark's "Inactive": true) marks the
contact undeliverable; a temporary one (Postmark SoftBounce, SendGrid "blocked" or 4.x.x, Mailgun
"temporary") marks the invitation only, and the contact stays invitable. A complaint opts out.
"""

import base64
import hashlib
import hmac
import json
import time

import pytest
from django.conf import settings

from surveys.models import Contact, Invitation
from surveys.sending import skip_reason
from tests.factories import InvitationFactory

# anymail warns that its SendGrid support is community-maintained; the payload shape is SendGrid's own.
pytestmark = pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailNotSupportedWarning")

EMAIL = "zoe.jansen@example.nl"
MAILGUN_KEY = "key-for-tests-only"


@pytest.fixture
def sent(db, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY}
    return InvitationFactory(provider_message_id="<20261205101500.1.ABCDEF@mg.example.com>", contact__email=EMAIL)


def _auth() -> dict:
    secret = settings.ANYMAIL["WEBHOOK_SECRET"]
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


# --- Postmark: one JSON object per bounce webhook (postmarkapp.com/developer/webhooks/bounce-webhook) --
def postmark(kind: str) -> dict:
    base = {
        "RecordType": "Bounce",
        "ID": 4323372036854775807,
        "MessageID": "<20261205101500.1.ABCDEF@mg.example.com>",
        "ServerID": 23,
        "MessageStream": "outbound",
        "Email": EMAIL,
        "From": "nps@acme.example",
        "BouncedAt": "2026-12-05T10:15:00Z",
        "DumpAvailable": True,
        "CanActivate": True,
        "Subject": "Hoe waarschijnlijk is het dat u ons aanraadt?",
        "Tag": "invitation",
        "Metadata": {"invitation": "1"},
    }
    return {
        "hard": {
            **base,
            "Type": "HardBounce",
            "TypeCode": 1,
            "Name": "Hard bounce",
            "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
            "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
            "Inactive": True,
        },
        "soft": {
            **base,
            "Type": "SoftBounce",
            "TypeCode": 4096,
            "Name": "Soft bounce/Undeliverable",
            "Description": "Unable to temporarily deliver this message. This might be because the inbox is full.",
            "Details": "smtp;452 4.2.2 The email account that you tried to reach is over quota.",
            "Inactive": False,
        },
        "blocked": {
            **base,
            "Type": "Blocked",
            "TypeCode": 100006,
            "Name": "ISP block",
            "Description": "The ISP has blocked this message.",
            "Details": "smtp;554 Message rejected due to local policy",
            "Inactive": False,
        },
        "complaint": {
            **base,
            "RecordType": "SpamComplaint",
            "Type": "SpamComplaint",
            "TypeCode": 512,
            "Name": "Spam complaint",
            "Description": "The subscriber explicitly marked this message as spam.",
            "Details": "Test spam complaint details",
            "Inactive": True,
        },
    }[kind]


def post_postmark(client, kind):
    body = json.dumps(postmark(kind))
    return client.post("/anymail/postmark/tracking/", body, content_type="application/json", **_auth())


# --- SendGrid: a JSON array of events (SendGrid Event Webhook reference) -------------------------
def sendgrid(kind: str) -> list[dict]:
    base = {
        "email": EMAIL,
        "timestamp": 1796465700,
        "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
        "sg_event_id": "sg_event_id_" + kind,
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
        "anymail_id": "<20261205101500.1.ABCDEF@mg.example.com>",  # anymail's custom arg, echoed back
        "category": ["invitation"],
    }
    return [
        {
            "hard": {
                **base,
                "event": "bounce",
                "type": "bounce",
                "bounce_classification": "Invalid Address",
                "reason": "550 5.1.1 The email account that you tried to reach does not exist.",
                "status": "5.1.1",
                "tls": 1,
            },
            "soft": {
                **base,
                "event": "bounce",
                "type": "bounce",
                "bounce_classification": "Mailbox Unavailable",
                "reason": "452 4.2.2 The email account that you tried to reach is over quota.",
                "status": "4.2.2",
                "tls": 1,
            },
            "blocked": {
                **base,
                "event": "bounce",
                "type": "blocked",
                "bounce_classification": "Reputation",
                "reason": "554 5.7.1 Service unavailable; Client host blocked using Spamhaus",
                "status": "5.7.1",
                "tls": 1,
            },
            "complaint": {**base, "event": "spamreport"},
        }[kind]
    ]


def post_sendgrid(client, kind):
    body = json.dumps(sendgrid(kind))
    return client.post("/anymail/sendgrid/tracking/", body, content_type="application/json", **_auth())


# --- Mailgun: a signed JSON body with the event under "event-data" (Mailgun webhook payloads) ----
def mailgun(kind: str) -> dict:
    base = {
        "id": "G9Bn5sl1TC6nu79C8C0bwg",
        "timestamp": 1796465700.5,
        "log-level": "error",
        "recipient": EMAIL,
        "recipient-domain": "example.nl",
        "envelope": {"sender": "nps@mg.example.com", "targets": EMAIL, "transport": "smtp"},
        "message": {
            "headers": {
                "to": EMAIL,
                "message-id": "20261205101500.1.ABCDEF@mg.example.com",
                "from": "Acme <nps@mg.example.com>",
                "subject": "Hoe waarschijnlijk is het dat u ons aanraadt?",
            },
            "attachments": [],
            "size": 111,
        },
        "tags": ["invitation"],
        "user-variables": {"invitation": "1"},
        "flags": {"is-routed": False, "is-authenticated": True, "is-system-test": False, "is-test-mode": False},
    }
    data = {
        "hard": {
            **base,
            "event": "failed",
            "severity": "permanent",
            "reason": "bounce",
            "delivery-status": {
                "attempt-no": 1,
                "code": 550,
                "message": "5.1.1 The email account that you tried to reach does not exist.",
                "description": "",
                "mx-host": "mx.example.nl",
                "session-seconds": 0.43,
            },
        },
        "soft": {
            **base,
            "event": "failed",
            "severity": "temporary",
            "reason": "generic",
            "delivery-status": {
                "attempt-no": 1,
                "code": 452,
                "message": "4.2.2 The email account that you tried to reach is over quota.",
                "description": "",
                "retry-seconds": 600,
                "mx-host": "mx.example.nl",
            },
        },
        "blocked": {  # Mailgun gives up after its retries: "permanent", but the server's answer was 4xx
            **base,
            "event": "failed",
            "severity": "permanent",
            "reason": "old",
            "delivery-status": {
                "attempt-no": 8,
                "code": 421,
                "message": "4.7.0 Try again later, closing connection (blocked)",
                "description": "Too old",
            },
        },
        "complaint": {**base, "event": "complained", "log-level": "warn"},
    }[kind]
    token, timestamp = f"token-{kind}-{time.time()}", str(int(time.time()))
    signature = hmac.new(MAILGUN_KEY.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {"signature": {"token": token, "timestamp": timestamp, "signature": signature}, "event-data": data}


def post_mailgun(client, kind):
    body = json.dumps(mailgun(kind))
    return client.post("/anymail/mailgun/tracking/", body, content_type="application/json", **_auth())


PROVIDERS = {"postmark": post_postmark, "sendgrid": post_sendgrid, "mailgun": post_mailgun}


def _state(invitation):
    invitation.refresh_from_db()
    contact = Contact.objects.get(pk=invitation.contact_id)
    return invitation, contact


def _invitable(contact) -> bool:
    return skip_reason(contact) == ""  # what the sending code asks before every e-mail


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_hard_bounce_marks_the_invitation_and_the_contact(client, sent, provider):
    assert PROVIDERS[provider](client, "hard").status_code == 200
    invitation, contact = _state(sent)
    assert invitation.status == Invitation.Status.BOUNCED
    assert contact.undeliverable_at is not None and not _invitable(contact)


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("kind", ["soft", "blocked"])
def test_a_temporary_failure_marks_the_invitation_only(client, sent, provider, kind):
    assert PROVIDERS[provider](client, kind).status_code == 200
    invitation, contact = _state(sent)
    assert invitation.failure_reason.startswith("temporary: "), invitation.failure_reason
    assert contact.undeliverable_at is None and contact.opted_out_at is None
    assert _invitable(contact)


def test_a_temporary_bounce_then_a_hard_one_marks_the_contact(client, sent):
    post_sendgrid(client, "soft")
    assert _state(sent)[1].undeliverable_at is None
    sent.status = Invitation.Status.SENT
    sent.save()
    post_postmark(client, "hard")
    assert _state(sent)[1].undeliverable_at is not None


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_complaint_opts_the_contact_out(client, sent, provider):
    assert PROVIDERS[provider](client, "complaint").status_code == 200
    _invitation, contact = _state(sent)
    assert contact.opted_out_at is not None and contact.undeliverable_at is None


def test_an_admin_giving_a_bounced_contact_a_new_address_makes_it_invitable_again(client, sent, admin):
    from surveys.services import contact_save

    post_postmark(client, "hard")
    contact = Contact.objects.get(pk=sent.contact_id)
    assert not _invitable(contact)
    contact_save(actor=admin, contact_id=contact.pk, name="Zoë")  # the same address: still undeliverable
    assert not _invitable(Contact.objects.get(pk=contact.pk))
    contact_save(actor=admin, contact_id=contact.pk, email=" Zoe.Jansen@Example.COM ")
    contact = Contact.objects.get(pk=contact.pk)
    assert contact.email == "zoe.jansen@example.com" and _invitable(contact)
