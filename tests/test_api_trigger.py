"""Transactional surveys triggered through the API: idempotent by key, quiet period and opt-out
honoured, sent by a Celery worker after commit."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from api import services
from api.services import SEND_TASK, trigger_send, trigger_sweep
from surveys.delivery import TransientSendError
from surveys.models import Campaign, Invitation
from tests.api_fixtures import api, api_as, token_for  # noqa: F401
from tests.factories import CampaignFactory, ContactFactory, InvitationFactory, TouchpointFactory
from tests.helpers import wait_for

TRIGGER = "/api/surveys/trigger/"


@pytest.fixture
def support(db):
    return CampaignFactory(
        kind=Campaign.Kind.TRANSACTIONAL,
        status=Campaign.Status.ACTIVE,
        quiet_period_days=30,
        touchpoint=TouchpointFactory(name="Support", slug="support"),
    )


def _trigger(api, campaign, contact, key="ticket-1", **extra):
    return api.post(TRIGGER, {"campaign": campaign.pk, "contact": contact.pk, "key": key, **extra}, format="json")


# --- Through the real worker ----------------------------------------------------------------------
@pytest.mark.worker
def test_a_trigger_sends_one_email_through_the_worker_and_the_same_key_sends_nothing_more(
    celery_worker, provider, support, api
):
    contact = ContactFactory(email="ann@example.com")
    first = _trigger(api, support, contact)
    assert first.status_code == 201
    assert first.json()["status"] == "queued" and first.json()["key"] == "ticket-1"
    invitation_id = first.json()["id"]
    assert wait_for(lambda: Invitation.objects.filter(pk=invitation_id, status="sent").exists(), timeout=30)
    again = _trigger(api, support, contact)
    assert again.status_code == 200
    assert again.json()["id"] == invitation_id and again.json()["status"] == "sent"
    assert Invitation.objects.filter(contact=contact).count() == 1
    time.sleep(1.5)  # time for a wrongly queued second send to show
    assert [m.to for m in provider] == [["ann@example.com"]]
    assert Invitation.objects.get(pk=invitation_id).token in provider[0].body
    assert api.get(f"/api/invitations/{invitation_id}/").json()["status"] == "sent"


# --- Idempotency -----------------------------------------------------------------------------------
def test_the_same_key_twice_makes_one_invitation_and_queues_one_send(
    db, support, api, broker, django_capture_on_commit_callbacks
):
    contact = ContactFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = _trigger(api, support, contact)
    with django_capture_on_commit_callbacks(execute=True):
        second = _trigger(api, support, contact)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == second.json()
    assert Invitation.objects.count() == 1
    assert broker(SEND_TASK) == [(SEND_TASK, [first.json()["id"]])]


def test_the_key_may_come_in_the_idempotency_key_header(db, support, api):
    contact = ContactFactory()
    body = {"campaign": support.pk, "contact": contact.pk}
    first = api.post(TRIGGER, body, format="json", HTTP_IDEMPOTENCY_KEY="zendesk-42")
    second = api.post(TRIGGER, {**body, "key": "zendesk-42"}, format="json", HTTP_IDEMPOTENCY_KEY="zendesk-42")
    assert (first.status_code, second.status_code) == (201, 200)
    assert Invitation.objects.get().trigger_key == "zendesk-42"


@pytest.mark.parametrize("body,header", [({}, None), ({"key": "a"}, "b"), ({"key": "a\nb"}, None)])
def test_a_missing_or_conflicting_key_is_a_400(db, support, api, body, header):
    contact = ContactFactory()
    extra = {"HTTP_IDEMPOTENCY_KEY": header} if header else {}
    response = api.post(TRIGGER, {"campaign": support.pk, "contact": contact.pk, **body}, format="json", **extra)
    assert response.status_code == 400
    assert "key" in response.json()["errors"]
    assert not Invitation.objects.exists()


def test_a_replay_answers_the_same_even_after_the_campaign_was_paused(db, support, api):
    ContactFactory(email="ann@example.com")
    body = {"touchpoint": "support", "email": "ann@example.com", "key": "ticket-9"}
    first = api.post(TRIGGER, body, format="json")
    Campaign.objects.filter(pk=support.pk).update(status=Campaign.Status.PAUSED)
    again = api.post(TRIGGER, body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    other = api.post(TRIGGER, {**body, "touchpoint": "billing"}, format="json")
    assert other.status_code == 409


def test_a_key_used_for_another_contact_is_a_409(db, support, api):
    _trigger(api, support, ContactFactory())
    response = _trigger(api, support, ContactFactory())
    assert response.status_code == 409
    assert "already used" in response.json()["detail"]
    assert Invitation.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_simultaneous_calls_with_one_key_make_one_invitation(support, token_for, broker):
    contact, other = ContactFactory(), ContactFactory()
    secret = token_for()
    barrier = threading.Barrier(4)
    statuses = []

    def post(who):
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
            barrier.wait()
            statuses.append(_trigger(client, support, who, key="same").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(who,)) for who in (contact, contact, contact, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert Invitation.objects.filter(trigger_key="same").count() == 1
    winner = Invitation.objects.get().contact
    assert statuses.count(201) == 1
    assert sorted(statuses) == sorted([201, 200, 200, 409] if winner == contact else [201, 409, 409, 409])
    assert len(broker(SEND_TASK)) == 1


# --- Who is not surveyed --------------------------------------------------------------------------
def test_a_contact_surveyed_within_the_quiet_period_is_skipped(
    db, support, api, broker, django_capture_on_commit_callbacks
):
    contact = ContactFactory()
    InvitationFactory(contact=contact, sent_at=timezone.now() - timedelta(days=3))  # another campaign
    with django_capture_on_commit_callbacks(execute=True):
        response = _trigger(api, support, contact)
    assert response.status_code == 201
    assert (response.json()["status"], response.json()["skip_reason"]) == ("skipped", "surveyed in the last 30 days")
    assert broker(SEND_TASK) == []


def test_after_the_quiet_period_the_contact_is_surveyed_again(db, support, api):
    contact = ContactFactory()
    InvitationFactory(contact=contact, sent_at=timezone.now() - timedelta(days=31))
    assert _trigger(api, support, contact).json()["status"] == "queued"


def test_a_second_trigger_while_the_first_waits_is_in_the_quiet_period(db, support, api):
    contact = ContactFactory()
    assert _trigger(api, support, contact, key="ticket-1").json()["status"] == "queued"
    second = _trigger(api, support, contact, key="ticket-2").json()
    assert (second["status"], second["skip_reason"]) == ("skipped", "surveyed in the last 30 days")


def test_a_campaign_without_a_quiet_period_surveys_every_time(db, support, api):
    support.quiet_period_days = 0
    support.save()
    contact = ContactFactory()
    InvitationFactory(contact=contact, sent_at=timezone.now())
    assert _trigger(api, support, contact).json()["status"] == "queued"


@pytest.mark.parametrize("state,reason", [("opted_out_at", "opted out"), ("undeliverable_at", "undeliverable")])
def test_an_opted_out_or_undeliverable_contact_is_skipped(
    db, support, api, broker, state, reason, django_capture_on_commit_callbacks
):
    contact = ContactFactory(**{state: timezone.now()})
    with django_capture_on_commit_callbacks(execute=True):
        body = _trigger(api, support, contact).json()
    assert (body["status"], body["skip_reason"]) == ("skipped", reason)
    assert broker(SEND_TASK) == []


def test_an_erased_contact_cannot_be_triggered(db, support, api):
    contact = ContactFactory(erased_at=timezone.now())
    response = _trigger(api, support, contact)
    assert response.status_code == 400
    assert "contact" in response.json()["errors"]


def test_an_opt_out_after_the_trigger_wins_at_send_time(db, support, api, provider):
    contact = ContactFactory()
    invitation_id = _trigger(api, support, contact).json()["id"]
    api.post(f"/api/contacts/{contact.pk}/opt-out/")
    assert trigger_send(invitation_id=invitation_id) == "skipped"
    assert provider == []
    assert Invitation.objects.get(pk=invitation_id).skip_reason == "opted out"


# --- The send task ----------------------------------------------------------------------------------
def test_the_send_runs_once_even_if_the_task_runs_twice(db, support, api, provider):
    invitation_id = _trigger(api, support, ContactFactory(email="ann@example.com")).json()["id"]
    assert trigger_send(invitation_id=invitation_id) == "sent"
    assert trigger_send(invitation_id=invitation_id) == "sent"
    assert len(provider) == 1
    invitation = Invitation.objects.get(pk=invitation_id)
    assert invitation.sent_at is not None and invitation.provider_message_id


def test_a_temporary_provider_error_is_raised_for_a_retry_then_sent(db, support, api, provider):
    invitation_id = _trigger(api, support, ContactFactory(email="flaky@example.com")).json()["id"]
    with pytest.raises(TransientSendError):
        trigger_send(invitation_id=invitation_id)
    assert Invitation.objects.get(pk=invitation_id).status == "queued"
    assert trigger_send(invitation_id=invitation_id) == "sent"


def test_a_refused_address_fails_the_invitation(db, support, api, provider):
    invitation_id = _trigger(api, support, ContactFactory(email="bad-request@example.com")).json()["id"]
    assert trigger_send(invitation_id=invitation_id) == "failed"
    assert Invitation.objects.get(pk=invitation_id).failure_reason


def test_a_paused_campaign_keeps_the_invitation_until_the_sweep_after_resuming(
    db, support, api, provider, broker, django_capture_on_commit_callbacks
):
    invitation_id = _trigger(api, support, ContactFactory()).json()["id"]
    Campaign.objects.filter(pk=support.pk).update(status=Campaign.Status.PAUSED)
    assert trigger_send(invitation_id=invitation_id) == "queued"
    later = timezone.now() + services.SWEEP_AFTER + timedelta(minutes=1)
    assert trigger_sweep(now=later) == 0  # still paused
    Campaign.objects.filter(pk=support.pk).update(status=Campaign.Status.ACTIVE)
    with django_capture_on_commit_callbacks(execute=True):
        assert trigger_sweep(now=later) == 1
    assert broker(SEND_TASK) == [(SEND_TASK, [invitation_id])]
    assert trigger_send(invitation_id=invitation_id) == "sent"


def test_a_closed_campaign_skips_what_it_had_not_sent(db, support, api, provider):
    invitation_id = _trigger(api, support, ContactFactory()).json()["id"]
    Campaign.objects.filter(pk=support.pk).update(status=Campaign.Status.CLOSED)
    assert trigger_send(invitation_id=invitation_id) == "skipped"
    assert provider == []


# --- Which campaign, which contact ----------------------------------------------------------------
def test_the_campaign_can_be_named_by_its_touchpoint_and_the_contact_by_email(db, support, api):
    contact = ContactFactory(email="ann@example.com", external_id="crm-1")
    body = api.post(TRIGGER, {"touchpoint": "support", "email": "ANN@example.com", "key": "k1"}, format="json").json()
    assert (body["campaign"], body["contact"]) == (support.pk, contact.pk)
    body = api.post(TRIGGER, {"touchpoint": "support", "external_id": "crm-1", "key": "k2"}, format="json").json()
    assert body["contact"] == contact.pk


def test_a_touchpoint_with_no_or_several_active_campaigns_is_a_409(db, support, api):
    ContactFactory(email="ann@example.com")
    TouchpointFactory(name="Billing", slug="billing")
    response = api.post(TRIGGER, {"touchpoint": "billing", "email": "ann@example.com", "key": "k"}, format="json")
    assert response.status_code == 409
    CampaignFactory(kind="transactional", status="active", touchpoint=support.touchpoint)
    response = api.post(TRIGGER, {"touchpoint": "support", "email": "ann@example.com", "key": "k"}, format="json")
    assert response.status_code == 409 and "several" in response.json()["detail"]


@pytest.mark.parametrize(
    "body,field",
    [
        ({"touchpoint": "nowhere", "email": "ann@example.com"}, "touchpoint"),
        ({"campaign": 999999, "email": "ann@example.com"}, "campaign"),
        ({"touchpoint": "support", "email": "nobody@example.com"}, "email"),
        ({"touchpoint": "support", "external_id": "none"}, "external_id"),
        ({"touchpoint": "support"}, "non_field_errors"),
        ({"email": "ann@example.com"}, "non_field_errors"),
        ({"campaign": 1, "touchpoint": "support", "email": "ann@example.com"}, "non_field_errors"),
        ({"campaign": "x", "email": "ann@example.com"}, "campaign"),
    ],
)
def test_an_unknown_or_ambiguous_campaign_or_contact_is_a_400(db, support, api, body, field):
    ContactFactory(email="ann@example.com")
    response = api.post(TRIGGER, {"key": "k", **body}, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Invitation.objects.exists()


def test_a_relational_campaign_cannot_be_triggered(db, api):
    campaign = CampaignFactory(kind="relational", status="active")
    response = _trigger(api, campaign, ContactFactory())
    assert response.status_code == 400 and "relational" in response.json()["detail"]


@pytest.mark.parametrize("status", ["draft", "paused", "closed", "scheduled"])
def test_a_campaign_that_is_not_sending_is_a_409(db, api, status):
    campaign = CampaignFactory(kind="transactional", status=status)
    response = _trigger(api, campaign, ContactFactory())
    assert response.status_code == 409
    assert not Invitation.objects.exists()


def test_only_triggered_invitations_can_be_read(db, api):
    wave_invitation = InvitationFactory()
    assert api.get(f"/api/invitations/{wave_invitation.pk}/").status_code == 404
