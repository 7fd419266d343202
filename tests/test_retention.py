"""Retention (#20.9): admins set how long personal data is kept; the nightly task removes or
anonymises what is older (comments, contacts without answers, outbox copies, audit entries),
keeps the scores, and the settings page shows what it removed last."""

from datetime import timedelta

import pytest
from django.utils import timezone

from config.celery import app
from core.models import AuditLog, OutboxMessage, RetentionSettings
from core.tasks import retention_purge
from surveys.models import Contact, Response
from tests.factories import ContactFactory, ResponseFactory

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
    assert retention_purge() == {"outbox": 0, "audit": 0, "comments": 0, "contacts": 0}
    assert Response.objects.get(pk=world["old_answer"].pk).comment == "Old complaint, call Ann"
    assert OutboxMessage.objects.count() == 2


def test_the_nightly_run_removes_what_is_older_and_keeps_scores(world):
    RetentionSettings.objects.create(pk=1, comments_days=365, contacts_days=365, outbox_days=30, audit_days=365)
    removed = retention_purge()
    assert removed == {"outbox": 1, "audit": 1, "comments": 1, "contacts": 1}
    old = Response.objects.get(pk=world["old_answer"].pk)
    assert old.comment == "" and old.score == 4
    assert Response.objects.get(pk=world["new_answer"].pk).comment == "Recent praise"
    erased = Contact.objects.get(pk=world["silent_old"].pk)
    assert erased.erased_at and erased.email.endswith("@invalid") and erased.name == ""
    assert Contact.objects.get(pk=world["silent_new"].pk).erased_at is None
    assert list(OutboxMessage.objects.values_list("message_id", flat=True)) == ["<new>"]
    assert not AuditLog.objects.filter(pk=world["old_entry"].pk).exists()
    assert retention_purge() == {"outbox": 0, "audit": 0, "comments": 0, "contacts": 0}  # idempotent


def test_admins_set_it_and_the_page_shows_the_last_run(client, admin, world):
    client.force_login(admin)
    data = {"comments_days": "365", "contacts_days": "", "outbox_days": "30", "audit_days": ""}
    assert client.post("/retention/", data).status_code == 302
    assert RetentionSettings.current().outbox_days == 30 and RetentionSettings.current().contacts_days is None
    assert "has not run yet" in client.get("/retention/").content.decode()
    retention_purge()
    page = client.get("/retention/").content.decode()
    assert 'data-testid="retention-last-run"' in page
    assert "1 comments emptied" in page and "1 outbox messages removed" in page
    assert client.post("/retention/", {**data, "audit_days": "0"}).status_code == 400


@pytest.mark.parametrize("persona", ["agent", "viewer"])
def test_only_admins_see_the_retention_page(client, personas, persona):
    client.force_login(personas[persona])
    assert client.get("/retention/").status_code == 403


def test_beat_runs_it_every_night():
    [entry] = [e for e in app.conf.beat_schedule.values() if e["task"] == "core.tasks.retention_purge"]
    assert entry["schedule"].hour == {3}
