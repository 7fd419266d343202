"""A new case's owner alert waits for the customer's "why" (or a window), and an alert that went out
without it is followed by one update that carries it; each exactly once, with a real worker."""

import time

import pytest
from django.test import Client
from freezegun import freeze_time

from core.models import EmailDelivery, OutboxMessage
from followups.models import FollowUp, RoutingRule
from followups.processing import response_process, sweep_lost_work
from tests.factories import ContactFactory, InvitationFactory, ResponseFactory, RoutingRuleFactory
from tests.helpers import wait_for


@pytest.fixture
def routed(team_a):
    RoutingRuleFactory(target=RoutingRule.Target.ACCOUNT_OWNER, team=team_a)


def _sent(agent, kind):
    return list(OutboxMessage.objects.filter(to=agent.email, tags=[kind]).order_by("pk"))


def _answer(client, invitation, score=2):
    assert client.post(f"/s/{invitation.token}/", {"score": score}).status_code == 302


def _why(client, invitation, text):
    assert client.post(f"/s/{invitation.token}/why/", {"comment": text}).status_code == 302


@pytest.mark.worker
def test_the_alert_waits_for_the_why_and_then_carries_it(celery_worker, outbox_backend, settings, agent, routed):
    settings.KRINGLOOP = {**settings.KRINGLOOP, "OWNER_ALERT_HOLD_SECONDS": 6}
    invitation = InvitationFactory(contact=ContactFactory(account_owner=agent, name="Dana"))
    client = Client()
    started = time.monotonic()
    _answer(client, invitation)
    assert wait_for(lambda: FollowUp.objects.filter(owner=agent).exists(), timeout=5)
    opened_in = time.monotonic() - started
    time.sleep(1)
    assert _sent(agent, "followup_owner") == []  # held: the customer is still typing
    _why(client, invitation, "The invoice was wrong twice.")
    assert wait_for(lambda: len(_sent(agent, "followup_owner")) == 1, timeout=10)
    [alert] = _sent(agent, "followup_owner")
    assert "The invoice was wrong twice." in alert.body_text
    time.sleep(7)  # the held task fires after the window: nothing more goes out
    assert len(_sent(agent, "followup_owner")) == 1 and _sent(agent, "followup_owner_why") == []
    assert opened_in < 5


@pytest.mark.worker
def test_a_late_why_gets_one_update_after_the_alert(celery_worker, outbox_backend, settings, agent, routed):
    settings.KRINGLOOP = {**settings.KRINGLOOP, "OWNER_ALERT_HOLD_SECONDS": 2}
    invitation = InvitationFactory(contact=ContactFactory(account_owner=agent, name="Dana"))
    client = Client()
    _answer(client, invitation)
    assert wait_for(lambda: len(_sent(agent, "followup_owner")) == 1, timeout=15)  # the window passed
    [alert] = _sent(agent, "followup_owner")
    assert "No reason given yet" in alert.body_text
    _why(client, invitation, "Nobody called me back.")
    assert wait_for(lambda: len(_sent(agent, "followup_owner_why")) == 1, timeout=10)
    [update] = _sent(agent, "followup_owner_why")
    assert "Nobody called me back." in update.body_text and update.subject == "Why Dana scored 2"
    _why(client, invitation, "Nobody called me back, twice.")  # an edit: still one update
    time.sleep(3)
    assert len(_sent(agent, "followup_owner")) == 1 and len(_sent(agent, "followup_owner_why")) == 1
    assert EmailDelivery.objects.filter(key__startswith="followup-owner-why:").count() == 1


def test_the_sweep_sends_a_held_alert_only_after_the_window(db, settings, agent, routed, mailoutbox):
    settings.KRINGLOOP = {**settings.KRINGLOOP, "OWNER_ALERT_HOLD_SECONDS": 600}
    without_why = ResponseFactory(score=1, contact=ContactFactory(account_owner=agent))
    with_why = ResponseFactory(score=1, comment="Too slow", contact=ContactFactory(account_owner=agent))
    with freeze_time("2026-12-05 10:00:00"):
        response_process(response_id=without_why.pk)  # no commit: their tasks are never sent
        response_process(response_id=with_why.pk)
    with freeze_time("2026-12-05 10:05:00"):
        sweep_lost_work()
    assert [m.subject for m in mailoutbox] == [f"New follow-up: {with_why.contact.name} scored 1"]
    with freeze_time("2026-12-05 10:11:00"):
        sweep_lost_work()
        sweep_lost_work()
    assert len(mailoutbox) == 2 and mailoutbox[1].subject == f"New follow-up: {without_why.contact.name} scored 1"
