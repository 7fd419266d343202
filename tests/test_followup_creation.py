"""Exactly one follow-up per unhappy response, whatever the delivery; the sweep finds lost work."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from core.models import OutboxMessage
from followups.models import FollowUp, RoutingRule
from followups.services import response_process
from followups.tasks import sweep_unrouted_responses
from surveys.models import Response
from tests.factories import ContactFactory, ResponseFactory, RoutingRuleFactory
from tests.helpers import wait_for


def test_processing_twice_opens_one_case_and_sends_one_email(db, agent, team_a):
    from followups.tasks import notify_owner

    RoutingRuleFactory(target=RoutingRule.Target.ACCOUNT_OWNER, team=team_a)
    response = ResponseFactory(score=1, comment="Broken <b>again</b>", contact=ContactFactory(account_owner=agent))
    first = response_process(response_id=response.pk)
    second = response_process(response_id=response.pk)
    assert first.created and not second.created
    notify_owner(first.followup.pk)
    notify_owner(first.followup.pk)  # a duplicate delivery of the e-mail task
    assert FollowUp.objects.filter(response=response).count() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [agent.email]
    assert "scored 1" in message.subject
    assert "Broken <b>again</b>" in message.body
    html = message.alternatives[0][0]
    assert "Broken &lt;b&gt;again&lt;/b&gt;" in html
    assert f"/followups/{response.followup.pk}/" in message.body
    response.refresh_from_db()
    assert response.processed_at is not None


def test_a_detractor_case_is_due_in_two_days_and_a_passive_in_seven(db):
    detractor = response_process(response_id=ResponseFactory(score=2).pk).followup
    passive = response_process(response_id=ResponseFactory(score=7).pk).followup
    assert abs((detractor.due_at - detractor.created_at) - timedelta(days=2)) < timedelta(seconds=5)
    assert abs((passive.due_at - passive.created_at) - timedelta(days=7)) < timedelta(seconds=5)


def test_a_drop_in_score_marks_the_case_at_risk(db):
    contact = ContactFactory()
    ResponseFactory(contact=contact, score=9, submitted_at=timezone.now() - timedelta(days=90))
    case = response_process(response_id=ResponseFactory(contact=contact, score=6).pk).followup
    assert case.at_risk


def test_changing_the_score_to_a_promoter_closes_the_open_case(db):
    response = ResponseFactory(score=3)
    case = response_process(response_id=response.pk).followup
    Response.objects.filter(pk=response.pk).update(score=10, category="promoter")
    response_process(response_id=response.pk)
    case.refresh_from_db()
    assert case.status == FollowUp.Status.CLOSED and case.category == "promoter"


@pytest.mark.worker
def test_duplicate_deliveries_to_a_real_worker_make_one_case_and_one_email(celery_worker, outbox_backend, agent,
                                                                          team_a):
    from followups.tasks import process_response

    RoutingRuleFactory(target=RoutingRule.Target.ACCOUNT_OWNER, team=team_a)
    response = ResponseFactory(score=4, contact=ContactFactory(account_owner=agent))
    for _ in range(4):
        process_response.delay(response.pk)
    assert wait_for(lambda: OutboxMessage.objects.filter(to=agent.email).exists())
    assert wait_for(lambda: Response.objects.filter(pk=response.pk, processed_at__isnull=False).exists())
    import time

    time.sleep(1.5)
    assert FollowUp.objects.filter(response=response).count() == 1
    assert OutboxMessage.objects.filter(to=agent.email).count() == 1


def test_the_sweep_routes_a_response_whose_task_was_never_sent(db):
    response = ResponseFactory(score=2, submitted_at=timezone.now() - timedelta(minutes=5))
    fresh = ResponseFactory(score=2)
    assert sweep_unrouted_responses() == 1
    assert FollowUp.objects.filter(response=response).exists()
    assert not FollowUp.objects.filter(response=fresh).exists()
