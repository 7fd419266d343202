"""Retention (#20.9): admins set how long personal data is kept; the nightly task removes or
anonymises what is older (comments, contacts without answers, customers' e-mails and their kept
attachments, outbox copies, audit entries), keeps the scores, and the settings page shows what it
removed last."""

import json
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from config.celery import app
from core.models import AuditLog, OutboxMessage, RetentionSettings
from core.tasks import retention_purge
from followups.models import FollowUpEvent, InboundMessage
from surveys.models import Contact, Response
from tests.factories import ContactFactory, ResponseFactory
from tests.inbound_support import CUSTOMER, FULL_TEXT, case, case_address, inbound_on, webhook_auth  # fixtures

OLD = timezone.now() - timedelta(days=400)


def _aged(model, pk, **fields):
    model.objects.filter(pk=pk).update(**fields)


@pytest.fixture
def world(db):
    old_answer = ResponseFactory(score=4, comment="Old complaint, call Ann", submitted_at=OLD)
    new_answer = ResponseFactory(score=9, comment="Recent praise")
    silent_old = ContactFactory(email="silent.old@example.com", name="Silent Old")
    _aged(Contact, silent_old.pk, created_at=OLD)
    silent_new = ContactFactory(email="silent.new@example.com")
    old_mail = OutboxMessage.objects.create(message_id="<old>", from_email="a@b", to="x@y", subject="s", body_text="b")
    _aged(OutboxMessage, old_mail.pk, created_at=OLD)
    new_mail = OutboxMessage.objects.create(message_id="<new>", from_email="a@b", to="x@y", subject="s", body_text="b")
    old_entry = AuditLog.objects.create(action="campaign.changed")
    _aged(AuditLog, old_entry.pk, created_at=OLD)
    return locals()


def test_nothing_is_removed_until_an_admin_sets_a_limit(world):
    assert retention_purge() == {"outbox": 0, "audit": 0, "comments": 0, "contacts": 0, "emails": 0}
    assert Response.objects.get(pk=world["old_answer"].pk).comment == "Old complaint, call Ann"
    assert OutboxMessage.objects.count() == 2


def test_the_nightly_run_removes_what_is_older_and_keeps_scores(world):
    RetentionSettings.objects.create(pk=1, comments_days=365, contacts_days=365, outbox_days=30, audit_days=365)
    removed = retention_purge()
    assert removed == {"outbox": 1, "audit": 1, "comments": 1, "contacts": 1, "emails": 0}
    old = Response.objects.get(pk=world["old_answer"].pk)
    assert old.comment == "" and old.score == 4
    assert Response.objects.get(pk=world["new_answer"].pk).comment == "Recent praise"
    erased = Contact.objects.get(pk=world["silent_old"].pk)
    assert erased.erased_at and erased.email.endswith("@invalid") and erased.name == ""
    assert Contact.objects.get(pk=world["silent_new"].pk).erased_at is None
    assert list(OutboxMessage.objects.values_list("message_id", flat=True)) == ["<new>"]
    assert not AuditLog.objects.filter(pk=world["old_entry"].pk).exists()
    assert retention_purge() == {"outbox": 0, "audit": 0, "comments": 0, "contacts": 0, "emails": 0}  # idempotent


def test_admins_set_it_and_the_page_shows_the_last_run(client, admin, world):
    client.force_login(admin)
    data = {"comments_days": "365", "contacts_days": "", "emails_days": "90", "outbox_days": "30", "audit_days": ""}
    assert client.post("/retention/", data).status_code == 302
    assert RetentionSettings.current().outbox_days == 30 and RetentionSettings.current().contacts_days is None
    assert RetentionSettings.current().emails_days == 90
    assert "has not run yet" in client.get("/retention/").content.decode()
    retention_purge()
    page = client.get("/retention/").content.decode()
    assert 'data-testid="retention-last-run"' in page
    assert "1 comments emptied" in page and "1 outbox messages removed" in page
    assert client.post("/retention/", {**data, "audit_days": "0"}).status_code == 400


def _email(client, to: str, message_id: str, *, attachment: bool = False) -> InboundMessage:
    """A customer's e-mail as Postmark posts it (tests/test_inbound.py has the whole payload)."""
    payload = {
        "From": CUSTOMER,
        "FromFull": {"Email": CUSTOMER, "Name": "Jan de Vries", "MailboxHash": ""},
        "ToFull": [{"Email": to, "Name": "", "MailboxHash": ""}],
        "To": to,
        "OriginalRecipient": to,
        "Subject": "Re: Over uw feedback",
        "MessageID": message_id,
        "TextBody": FULL_TEXT,
        "Headers": [{"Name": "Message-ID", "Value": f"<{message_id}@mail.example.nl>"}],
        "Attachments": [{"Name": "factuur.pdf", "Content": "JVBERi0xLjQ=", "ContentType": "application/pdf"}]
        if attachment
        else [],
    }
    response = client.post(
        "/anymail/postmark/inbound/", json.dumps(payload), content_type="application/json", **webhook_auth()
    )
    assert response.status_code == 200
    return InboundMessage.objects.get(message_id=f"<{message_id}@mail.example.nl>")


def test_customers_emails_and_their_kept_files_go_after_the_limit(client, settings, tmp_path, case, agent):
    settings.INBOUND_KEEP_ATTACHMENTS, settings.MEDIA_ROOT = True, str(tmp_path)
    old_reply = _email(client, case_address(case), "old-reply", attachment=True)
    old_unmatched = _email(client, "info@replies.example.com", "old-unmatched")
    new_reply = _email(client, case_address(case), "new-reply")
    InboundMessage.objects.filter(pk__in=[old_reply.pk, old_unmatched.pk]).update(received_at=OLD)
    [kept_file] = [item["path"] for item in old_reply.attachments]
    assert default_storage.exists(kept_file)

    assert retention_purge()["emails"] == 0  # no limit set: everything stays
    RetentionSettings.objects.filter(pk=1).update(emails_days=90)
    assert retention_purge()["emails"] == 2
    assert list(InboundMessage.objects.all()) == [new_reply]
    assert not default_storage.exists(kept_file)
    # The case history keeps that an e-mail came, not what it said.
    old_event, new_event = FollowUpEvent.objects.filter(followup=case, kind="inbound").order_by("pk")
    assert "De factuur" not in old_event.text and old_event.data.get("sender") is None
    assert "De factuur" in new_event.text
    client.force_login(agent)
    page = client.get(f"/followups/{case.pk}/").content.decode()
    assert "E-mail removed after 90 days (data retention)." in page
    assert page.count("Show the whole e-mail") == 1  # the new e-mail's only
    assert retention_purge()["emails"] == 0  # idempotent


@pytest.mark.parametrize("persona", ["agent", "viewer"])
def test_only_admins_see_the_retention_page(client, personas, persona):
    client.force_login(personas[persona])
    assert client.get("/retention/").status_code == 403


def test_beat_runs_it_every_night():
    [entry] = [e for e in app.conf.beat_schedule.values() if e["task"] == "core.tasks.retention_purge"]
    assert entry["schedule"].hour == {3}
