"""The ESP's tracking webhook: bounces mark invitations and contacts, complaints opt out."""

import base64
import json

import pytest
from django.conf import settings

from core.models import AuditLog
from surveys.models import Invitation
from tests.factories import InvitationFactory

URL = "/anymail/postmark/tracking/"


def _auth():
    secret = settings.ANYMAIL["WEBHOOK_SECRET"]
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


def _post(client, payload, **extra):
    return client.post(URL, data=json.dumps(payload), content_type="application/json", **extra)


@pytest.fixture
def sent_invitation(db):
    return InvitationFactory(provider_message_id="pm-123", contact__email="bounce@example.com")


def test_it_marks_a_hard_bounce_on_the_invitation_and_the_contact(client, sent_invitation):
    response = _post(
        client,
        {
            "RecordType": "Bounce",
            "Type": "HardBounce",
            "TypeCode": 1,
            "MessageID": "pm-123",
            "Email": "bounce@example.com",
            "Description": "Mailbox does not exist",
            "BouncedAt": "2026-11-20T10:00:00Z",
        },
        **_auth(),
    )
    assert response.status_code == 200
    sent_invitation.refresh_from_db()
    sent_invitation.contact.refresh_from_db()
    assert sent_invitation.status == Invitation.Status.BOUNCED
    assert "Mailbox does not exist" in sent_invitation.failure_reason
    assert sent_invitation.contact.undeliverable_at is not None
    assert AuditLog.objects.filter(action="contact.undeliverable").count() == 1


def test_a_complaint_opts_the_contact_out(client, sent_invitation):
    response = _post(
        client,
        {
            "RecordType": "SpamComplaint",
            "MessageID": "pm-123",
            "Email": "bounce@example.com",
            "BouncedAt": "2026-11-20T10:00:00Z",
            "Type": "SpamComplaint",
            "TypeCode": 512,
        },
        **_auth(),
    )
    assert response.status_code == 200
    sent_invitation.contact.refresh_from_db()
    assert sent_invitation.contact.opted_out_at is not None


def test_the_same_event_twice_changes_nothing_more(client, sent_invitation):
    payload = {
        "RecordType": "Bounce",
        "Type": "HardBounce",
        "TypeCode": 1,
        "MessageID": "pm-123",
        "Email": "bounce@example.com",
        "BouncedAt": "2026-11-20T10:00:00Z",
    }
    _post(client, payload, **_auth())
    first = type(sent_invitation.contact).objects.get(pk=sent_invitation.contact.pk).undeliverable_at
    _post(client, payload, **_auth())
    assert type(sent_invitation.contact).objects.get(pk=sent_invitation.contact.pk).undeliverable_at == first
    assert AuditLog.objects.filter(action="contact.undeliverable").count() == 1


def test_it_refuses_a_post_without_the_webhook_secret(client, sent_invitation):
    response = _post(
        client, {"RecordType": "Bounce", "Type": "HardBounce", "MessageID": "pm-123", "Email": "bounce@example.com"}
    )
    assert response.status_code in (400, 401, 403)
    sent_invitation.refresh_from_db()
    assert sent_invitation.status == Invitation.Status.SENT
