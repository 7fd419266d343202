"""Erasure leaves nothing behind (#20.8): a contact touched by every feature (import, API, answer,
comment, case, note, reply, owner alert, escalation, improvement notice, webhook delivery,
export) is erased, then every text and JSON column of every table, and the outbox, is searched
for their name, e-mail address, phone number and free-form attributes. The score stays."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.utils import timezone

from core import privacy
from core.models import OutboxMessage
from followups import emails, escalation, improvements, notices
from followups.models import FollowUp, Improvement
from followups.processing import response_process
from followups.services import followup_add_note, followup_reply, followup_reply_send
from surveys.imports import import_run
from surveys.models import ContactImport, Response
from tests.api_fixtures import api, api_as, token_for  # noqa: F401
from tests.factories import CampaignFactory, InvitationFactory, ResponseFactory
from tests.webhooks_support import Receiver, make_endpoint
from webhooks.delivery import delivery_attempt
from webhooks.models import Delivery

NAME = "Zebulon Quartermaine"
EMAIL = "zebulon.q@example.com"
PHONE = "+31 6 1876 5432"  # a valid mobile number: stored as +31618765432 (#22)
HOME = "Keizersgracht 999"
SECRETS = (NAME, EMAIL, PHONE, "Zebulon", "zebulon.q", "98765432", HOME)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _text_columns(model):
    return [
        f.name
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField | models.JSONField | models.EmailField)
    ]


def leftovers() -> list[str]:
    """Every (model, field, value) in the database that still holds one of SECRETS."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        columns = _text_columns(model)
        if not columns:
            continue
        for row in model._default_manager.values("pk", *columns):
            for column in columns:
                text = str(row[column]).replace(" ", "").lower()
                for secret in SECRETS:
                    if secret.replace(" ", "").lower() in text:
                        found.append(f"{model._meta.label}.{column} #{row['pk']}: {secret}")
    return found


@pytest.mark.django_db(transaction=False)
def test_erasure_leaves_no_trace_in_any_table_or_the_outbox(
    client, admin, agent, team_a, api, outbox_backend, settings
):
    settings.KRINGLOOP = {**settings.KRINGLOOP, "WEBHOOK_PRIVATE_NETWORKS": True}
    receiver = Receiver().start()
    try:
        endpoint = make_endpoint(url=receiver.url, events=["followup.created", "response.created"])
        # Import, with a free-form column.
        client.force_login(admin)
        csv = f"email,name,phone,plan,home address\n{EMAIL},{NAME},{PHONE},pro,{HOME}\n".encode()
        client.post("/contacts/import/", {"file": SimpleUploadedFile("c.csv", csv, content_type="text/csv")})
        record = ContactImport.objects.latest("pk")
        mapping = {"match_on": "email", "col_0": "email", "col_1": "name", "col_2": "phone"}
        mapping |= {"col_3": "attribute", "col_4": "attribute", "action": "import"}
        client.post(f"/contacts/import/{record.pk}/", mapping)
        import_run(import_id=record.pk)
        from surveys.models import Contact

        contact = Contact.objects.get(email=EMAIL)
        assert contact.attributes["home address"] == HOME
        # The API.
        body = {"contacts": [{"email": EMAIL, "name": NAME, "phone": PHONE, "company": "Quartermaine BV"}]}
        assert api.post("/api/contacts/upsert/", body, format="json").status_code == 200
        # An answer with a comment, a case with an owner alert, a note, a reply, an escalation.
        campaign = CampaignFactory(team=team_a)
        invitation = InvitationFactory(campaign=campaign, contact=contact)
        answer = ResponseFactory(
            campaign=campaign, contact=contact, invitation=invitation, score=2, comment=f"I am {NAME}, call {PHONE}"
        )
        response_process(response_id=answer.pk)
        case = FollowUp.objects.get(response=answer)
        case.owner = agent
        case.save()
        emails.send_owner_alert(followup=case)
        followup_add_note(followup=case, actor=agent, text=f"Spoke to {NAME} at {PHONE}")
        event = followup_reply(followup=case, actor=agent, subject="Sorry", body=f"Dear {NAME}, sorry.")
        followup_reply_send(event_id=event.pk)
        FollowUp.objects.filter(pk=case.pk).update(due_at=timezone.now() - timedelta(days=3))
        escalation.escalate_overdue()
        escalation.send_escalation_digests()
        # An improvement notice.
        improvement = Improvement.objects.create(title="Faster", description_en="Faster now.", status="planned")
        improvements.improvement_link(improvement=improvement, response_ids=[answer.pk], actor=admin)
        improvements.improvement_ship(improvement=improvement, actor=admin)
        for notice in improvement.notices.all():
            notices.notice_send(notice_id=notice.pk)
        # Webhook deliveries.
        for delivery in Delivery.objects.filter(endpoint=endpoint):
            delivery_attempt(delivery_id=delivery.pk)
        # The privacy export lists every place that holds them.
        export = client.get(f"/contacts/{contact.pk}/export.json").json()
        assert export["contact"]["attributes"]["home address"] == HOME
        assert export["outbox_messages"] and export["emails_sent"] and "audit_entries" in export
        assert export["webhook_deliveries"] and export["followups"] and export["improvement_notices"]
        assert any("Zebulon" in m["subject"] for m in export["outbox_messages"])  # the owner alert to staff
        assert export["contact_imports"] == [{"file": "c.csv", "uploaded_at": record.created_at.isoformat()}]

        before = leftovers()
        assert any("OutboxMessage" in place for place in before), before  # the test reaches the outbox
        assert any("AuditLog" in place for place in before), before

        privacy.erase(contact, actor=admin)

        assert leftovers() == []
        stored = [path.read_bytes() for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]
        assert not [content for content in stored if EMAIL.encode() in content]
        assert not [m for m in OutboxMessage.objects.all() if EMAIL in (m.to + m.body_text + m.body_html)]
        kept = Response.objects.get(pk=answer.pk)
        assert kept.score == 2 and kept.category == "detractor"
        contact.refresh_from_db()
        assert contact.attributes == {"plan": "pro"}
    finally:
        receiver.stop()


def test_an_erased_contact_keeps_exactly_the_rolled_up_segment_attributes():
    from scoring.queries import SEGMENT_KEYS
    from surveys.privacy import KEPT_ATTRIBUTES

    assert tuple(KEPT_ATTRIBUTES) == tuple(SEGMENT_KEYS)
