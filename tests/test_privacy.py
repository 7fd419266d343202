"""Export everything about one contact; erase a contact but keep the scores."""

import json

import pytest

from core import privacy
from core.models import AuditLog, EmailDelivery, OutboxMessage
from followups.models import FollowUp, FollowUpEvent
from surveys.models import Contact, Response
from tests.factories import ContactFactory, ResponseFactory


@pytest.fixture
def customer(db):
    contact = ContactFactory(
        email="jane@example.com", name="Jane Doe", external_id="CRM-1", company="Initech", phone="+31 6 1234 5678"
    )
    response = ResponseFactory(contact=contact, score=3, comment="Call me on 0612345678, I am furious")
    case = FollowUp.objects.create(
        response=response, contact=contact, category="detractor", due_at=response.submitted_at
    )
    FollowUpEvent.objects.create(followup=case, kind=FollowUpEvent.Kind.NOTE, text="Jane's husband answered")
    OutboxMessage.objects.create(message_id="<m1>", from_email="x@y", to="jane@example.com", subject="s", body_text="b")
    return contact


def test_admin_downloads_everything_about_a_contact(client, admin, customer):
    client.force_login(admin)
    response = client.get(f"/contacts/{customer.pk}/export.json")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["contact"]["email"] == "jane@example.com" and data["contact"]["phone"] == "+31 6 1234 5678"
    assert data["responses"][0]["score"] == 3
    assert "furious" in data["responses"][0]["comment"]
    assert data["followups"][0]["history"][0]["text"] == "Jane's husband answered"
    assert AuditLog.objects.filter(action="contact.exported", actor=admin).exists()


def test_erasure_removes_personal_data_and_keeps_the_score(client, admin, customer):
    client.force_login(admin)
    response = client.post(f"/contacts/{customer.pk}/erase/", {"confirm": "jane@example.com"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.erased_at is not None and customer.opted_out_at is not None
    assert (customer.email, customer.name, customer.external_id, customer.company, customer.phone) == (
        f"erased-{customer.pk}@invalid",
        "",
        None,
        "",
        "",
    )
    assert customer.attributes["plan"] == "pro"
    kept = Response.objects.get(contact=customer)
    assert kept.score == 3 and kept.category == "detractor" and kept.comment == ""
    assert FollowUpEvent.objects.get(kind="note").text == ""
    assert not OutboxMessage.objects.filter(to="jane@example.com").exists()
    assert AuditLog.objects.filter(action="contact.erased", actor=admin).exists()


def test_erasure_needs_the_typed_email_address(client, admin, customer):
    client.force_login(admin)
    response = client.post(f"/contacts/{customer.pk}/erase/", {"confirm": "wrong"})
    assert response.status_code == 400
    assert Contact.objects.get(pk=customer.pk).erased_at is None


def test_an_erased_email_can_be_imported_again_as_a_new_contact(customer, admin):
    privacy.erase(customer, actor=admin)
    assert Contact.objects.create(email="jane@example.com").pk != customer.pk


@pytest.mark.parametrize("persona", ["agent", "viewer"])
def test_only_admins_may_export_or_erase(client, personas, customer, persona):
    client.force_login(personas[persona])
    assert client.get(f"/contacts/{customer.pk}/export.json").status_code == 403
    assert client.post(f"/contacts/{customer.pk}/erase/", {"confirm": "jane@example.com"}).status_code == 403
    assert Contact.objects.get(pk=customer.pk).erased_at is None


def test_each_app_contributes_its_own_part(customer, admin):
    assert [part.name for part in privacy.parts()] == [
        "core",
        "core.audit",
        "surveys",
        "surveys.contact",
        "followups",
        "webhooks",
    ]
    data = privacy.export(customer, actor=admin)
    # core's part (mail ledger, outbox, audit), surveys' (the contact, its invitations, its
    # answers), followups' (cases, notices) and webhooks' (deliveries naming them).
    assert list(data) == [
        "emails_sent",
        "outbox_messages",
        "audit_entries",
        "contact",
        "invitations",
        "responses",
        "contact_imports",
        "followups",
        "improvement_notices",
        "emails_received",
        "webhook_deliveries",
    ]
    EmailDelivery.objects.create(key="k1", kind="test", to="Jane@Example.com")
    erased = privacy.erase(customer, actor=admin)
    assert erased.erased_at is not None  # surveys.contact, which runs last
    assert Response.objects.get(contact=customer).comment == ""  # surveys
    assert FollowUpEvent.objects.get(kind="note").text == ""  # followups
    assert (
        EmailDelivery.objects.get(key="k1").to == f"erased-{customer.pk}@invalid"
    )  # core: the old address was still known
    assert not OutboxMessage.objects.exists()  # core
    # webhooks' part: tests/test_webhooks_events.py::test_erasing_a_contact_removes_the_deliveries_that_name_them


def test_a_part_that_fails_erases_nothing(customer, admin):
    calls = []

    def fails(contact):
        calls.append(contact.pk)
        raise RuntimeError("this part cannot erase")

    privacy.register("broken", erase=fails, order=privacy.LAST - 1)  # after surveys and followups, before the contact
    try:
        with pytest.raises(RuntimeError):
            privacy.erase(customer, actor=admin)
    finally:
        privacy.unregister("broken")
    assert calls == [customer.pk]
    customer.refresh_from_db()
    assert customer.erased_at is None and customer.email == "jane@example.com"
    assert "furious" in Response.objects.get(contact=customer).comment  # one transaction: the earlier parts rolled back
    assert FollowUpEvent.objects.get(kind="note").text == "Jane's husband answered"
    assert OutboxMessage.objects.filter(to="jane@example.com").exists()
    assert not AuditLog.objects.filter(action="contact.erased").exists()


def test_erasing_twice_changes_nothing_the_second_time(customer, admin):
    first = privacy.erase(customer, actor=admin)
    second = privacy.erase(customer, actor=admin)
    assert second.erased_at == first.erased_at
    assert AuditLog.objects.filter(action="contact.erased").count() == 1
