"""Exactly one follow-up per unhappy response, whatever the delivery; the sweep finds lost work."""

import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from freezegun import freeze_time

from core.models import OutboxMessage
from followups.models import FollowUp, RoutingRule
from followups.processing import response_process
from followups.tasks import sweep_unrouted_responses
from surveys.models import Response
from tests.factories import ContactFactory, ResponseFactory, RoutingRuleFactory
from tests.helpers import wait_for


@pytest.fixture(autouse=True)
def _owner_alert_at_once(settings):
    """These tests are about exactly once, not timing: the owner alert goes out at once instead of
    waiting for the customer's "why" (tests/test_owner_alert_hold.py covers the hold)."""
    settings.KRINGLOOP = {**settings.KRINGLOOP, "OWNER_ALERT_HOLD_SECONDS": 0}


def _rescore(response, score):
    """The respondent changes their score within the edit window, and the task runs again."""
    from scoring.nps import category_for

    Response.objects.filter(pk=response.pk).update(score=score, category=category_for(score))
    return response_process(response_id=response.pk)


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
    _rescore(response, 10)
    case.refresh_from_db()
    assert case.status == FollowUp.Status.CLOSED and case.category == "promoter"


@pytest.mark.worker
def test_duplicate_deliveries_to_a_real_worker_make_one_case_and_one_email(
    celery_worker, outbox_backend, agent, team_a
):
    from followups.tasks import process_response

    RoutingRuleFactory(target=RoutingRule.Target.ACCOUNT_OWNER, team=team_a)
    response = ResponseFactory(score=4, contact=ContactFactory(account_owner=agent))
    for _ in range(4):
        process_response.delay(response.pk)
    assert wait_for(lambda: OutboxMessage.objects.filter(to=agent.email).exists())
    assert wait_for(lambda: Response.objects.filter(pk=response.pk, processed_at__isnull=False).exists())
    time.sleep(1.5)
    assert FollowUp.objects.filter(response=response).count() == 1
    assert OutboxMessage.objects.filter(to=agent.email).count() == 1


def test_the_sweep_routes_a_response_whose_task_was_never_sent(db):
    response = ResponseFactory(score=2, submitted_at=timezone.now() - timedelta(minutes=5))
    fresh = ResponseFactory(score=2)
    assert sweep_unrouted_responses() == 1
    assert FollowUp.objects.filter(response=response).exists()
    assert not FollowUp.objects.filter(response=fresh).exists()


def test_the_sweep_processes_lost_answers_in_batches_whose_statements_do_not_grow(db):
    """After an outage the sweep may find thousands of lost answers: it settles them in batches."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def lose(count):
        old = timezone.now() - timedelta(minutes=5)
        return [ResponseFactory(score=score, submitted_at=old) for score in ([1, 7, 10] * count)[:count]]

    lose(6)
    with CaptureQueriesContext(connection) as few:
        assert sweep_unrouted_responses() == 6
    lost = lose(60)
    with CaptureQueriesContext(connection) as many:
        assert sweep_unrouted_responses() == 60
    assert len(many) == len(few)
    assert FollowUp.objects.filter(response__in=lost).count() == 40  # the detractors and passives
    assert not Response.objects.filter(processed_at__isnull=True).exists()
    assert sweep_unrouted_responses() == 0


def test_a_sweep_does_not_run_beside_one_still_going_and_the_next_run_finds_the_work(db):
    """After an outage a sweep can take longer than its minute: the next one must not do the same
    work beside it on another worker process (chaos found three at once, each rendering the same
    notices while the webhook deliveries waited)."""
    from core.queue import single_flight

    response = ResponseFactory(score=2, submitted_at=timezone.now() - timedelta(minutes=5))
    with single_flight("followups.sweep_lost_work", seconds=60) as first:
        assert first is True
        assert sweep_unrouted_responses() == 0  # another run holds it
        assert not FollowUp.objects.filter(response=response).exists()
    assert sweep_unrouted_responses() == 1
    assert FollowUp.objects.filter(response=response).exists()


def test_a_sweep_out_of_time_starts_nothing_new_and_the_next_run_goes_on(db):
    from followups.processing import sweep_lost_work

    response = ResponseFactory(score=2, submitted_at=timezone.now() - timedelta(minutes=5))
    assert sweep_lost_work(budget=0) == 0
    assert not FollowUp.objects.filter(response=response).exists()
    assert sweep_lost_work(budget=60) == 1
    assert FollowUp.objects.filter(response=response).exists()


def test_without_a_cache_the_sweep_runs_unguarded(db, monkeypatch):
    from django.core.cache import cache

    def down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(cache, "add", down)
    ResponseFactory(score=2, submitted_at=timezone.now() - timedelta(minutes=5))
    assert sweep_unrouted_responses() == 1


def test_the_sweep_processes_a_changed_score_whose_task_was_lost(db):
    response = ResponseFactory(score=3, submitted_at=timezone.now() - timedelta(days=1))
    case = response_process(response_id=response.pk).followup
    Response.objects.filter(pk=response.pk).update(
        score=7,
        category="passive",
        updated_at=timezone.now() - timedelta(minutes=5),
        processed_at=timezone.now() - timedelta(minutes=6),
    )
    assert sweep_unrouted_responses() == 1
    case.refresh_from_db()
    assert case.category == "passive"
    assert sweep_unrouted_responses() == 0  # processed again, so not picked up twice


def test_the_sweep_sends_an_owner_alert_whose_task_was_lost(db, agent, team_a, mailoutbox):
    RoutingRuleFactory(target=RoutingRule.Target.ACCOUNT_OWNER, team=team_a)
    response = ResponseFactory(score=1, contact=ContactFactory(account_owner=agent))
    with freeze_time(timezone.now() - timedelta(minutes=5)):
        response_process(response_id=response.pk)  # its notify task is never sent: no commit in this test
    assert mailoutbox == []
    sweep_unrouted_responses()
    sweep_unrouted_responses()
    assert [m.to for m in mailoutbox] == [[agent.email]]


def test_the_sweep_sends_the_lost_alerts_it_can_and_keeps_the_others_for_next_time(db, team_a, provider):
    from core.models import EmailDelivery
    from tests.factories import UserFactory

    RoutingRuleFactory(target=RoutingRule.Target.ACCOUNT_OWNER, team=team_a)
    owners = [
        UserFactory(username=name, email=f"{name}@staff.example.com", role="agent")
        for name in ("down-ann", "bob", "cas")
    ]
    with freeze_time(timezone.now() - timedelta(minutes=5)):
        for owner in owners:  # their notify tasks are never sent: no commit in this test
            response_process(response_id=ResponseFactory(score=1, contact=ContactFactory(account_owner=owner)).pk)
    sweep_unrouted_responses()  # the provider is down for the first owner's address
    assert sorted(m.to[0] for m in provider) == sorted(owner.email for owner in owners)
    sent = set(EmailDelivery.objects.filter(status="sent").values_list("to", flat=True))
    assert sent == {owners[1].email, owners[2].email}
    sweep_unrouted_responses()  # the next sweep tries only the one still missing
    assert [m.to[0] for m in provider].count(owners[0].email) == 2 and len(provider) == 4


def test_a_team_queue_case_alerts_the_team_lead(db, lead, team_a, mailoutbox):
    from followups.tasks import notify_owner

    RoutingRuleFactory(target=RoutingRule.Target.TEAM_QUEUE, team=team_a)
    case = response_process(response_id=ResponseFactory(score=5).pk).followup
    notify_owner(case.pk)
    assert [m.to for m in mailoutbox] == [[lead.email]]


def test_the_owner_email_shows_driver_answers_previous_scores_and_open_cases(db, agent, team_a, mailoutbox):
    from followups.tasks import notify_owner
    from surveys.models import Answer, Question

    RoutingRuleFactory(target=RoutingRule.Target.ACCOUNT_OWNER, team=team_a)
    contact = ContactFactory(account_owner=agent)
    earlier = ResponseFactory(contact=contact, score=9, submitted_at=timezone.now() - timedelta(days=60))
    older_case = response_process(
        response_id=ResponseFactory(contact=contact, score=4, submitted_at=timezone.now() - timedelta(days=20)).pk
    ).followup
    response = ResponseFactory(contact=contact, score=1, comment="Invoice wrong")  # 3 below the last: at risk
    question = Question.objects.create(campaign=response.campaign, text="How easy was paying?", kind="effort", order=1)
    Answer.objects.create(response=response, question=question, number=6)
    case = response_process(response_id=response.pk).followup
    notify_owner(case.pk)
    body = mailoutbox[-1].body
    assert "How easy was paying?: 6" in body
    assert f"{timezone.localtime(earlier.submitted_at):%Y-%m-%d}: 9" in body  # the company's date, not UTC
    assert f"#{older_case.pk}" in body
    assert "Invoice wrong" in body and "At risk" in body


def test_a_campaign_can_ask_for_a_thank_you_case_for_promoters(db):
    from tests.factories import CampaignFactory

    case = response_process(
        response_id=ResponseFactory(score=10, campaign=CampaignFactory(followup_promoters=True)).pk
    ).followup
    assert case is not None and case.category == "promoter"


def test_a_promoter_turning_unhappy_gets_a_case(db):
    response = ResponseFactory(score=9)
    assert response_process(response_id=response.pk).followup is None
    result = _rescore(response, 4)
    assert result.created and result.followup.category == "detractor"


def test_a_detractor_turning_passive_gets_the_passive_deadline(db):
    response = ResponseFactory(score=2)
    case = response_process(response_id=response.pk).followup
    _rescore(response, 8)
    case.refresh_from_db()
    assert case.category == "passive" and case.status == FollowUp.Status.NEW
    assert abs((case.due_at - case.created_at) - timedelta(days=7)) < timedelta(seconds=5)


def test_a_case_closed_for_a_promoter_score_reopens_when_the_score_drops_again(db):
    response = ResponseFactory(score=3)
    case = response_process(response_id=response.pk).followup
    for score in (10, 2):
        _rescore(response, score)
    case.refresh_from_db()
    assert case.status == FollowUp.Status.IN_PROGRESS and case.closed_reason == ""
    reasons = case.events.filter(kind="status").values_list("text", flat=True)
    assert any("changed the score to promoter" in text for text in reasons)
    assert FollowUp.objects.filter(response=response).count() == 1


@pytest.mark.parametrize(
    "previous,now,dropped",
    [
        (9, 8, True),  # promoter → passive: a worse category
        (6, 3, True),  # three points down within the detractors
        (6, 4, False),
        (4, 6, False),
    ],
)
def test_contact_drop(db, previous, now, dropped):
    from followups.routing import contact_drop

    contact = ContactFactory()
    ResponseFactory(contact=contact, score=previous, submitted_at=timezone.now() - timedelta(days=30))
    assert contact_drop(response=ResponseFactory(contact=contact, score=now)) is dropped


def test_a_first_or_anonymous_answer_never_counts_as_a_drop(db):
    from followups.routing import contact_drop

    assert contact_drop(response=ResponseFactory(score=0)) is False
    assert contact_drop(response=ResponseFactory(score=0, contact=None)) is False


@pytest.mark.postgres("two workers at once: row locks, which SQLite has not (its writers take turns)")
def test_two_workers_processing_at_once_open_one_case(transactional_db, agent, team_a):
    import threading

    from django.db import connection

    RoutingRuleFactory(target=RoutingRule.Target.ACCOUNT_OWNER, team=team_a)
    response = ResponseFactory(score=2, contact=ContactFactory(account_owner=agent))
    barrier, results = threading.Barrier(2), []

    def work():
        try:
            barrier.wait()
            results.append(response_process(response_id=response.pk).created)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True]
    assert FollowUp.objects.filter(response=response).count() == 1
    assert FollowUp.objects.get(response=response).events.filter(kind="created").count() == 1


@pytest.mark.postgres("row locks, which SQLite has not")
def test_an_answer_being_processed_never_blocks_a_row_that_points_at_it(transactional_db):
    """make chaos: the rollup refresh (LatestScore rows point at answers) and processing deadlocked,
    because processing locked answers FOR UPDATE, which blocks every foreign-key check on them. It
    locks them FOR NO KEY UPDATE: while an answer is held, a row pointing at it is written at once."""
    import threading

    from django.db import connection, transaction

    from followups.processing import locked_answers

    response = ResponseFactory(score=3)
    holding, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                list(locked_answers([response.pk]))
                holding.set()
                release.wait(15)
        finally:
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert holding.wait(15)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '3s'")
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the foreign-key check now, not at commit
            FollowUp.objects.create(
                response=response, contact=response.contact, category=response.category, due_at=timezone.now()
            )
    finally:
        release.set()
        thread.join()
    assert FollowUp.objects.filter(response=response).exists()


@pytest.mark.worker
def test_a_submitted_answer_is_routed_by_the_worker_and_alerts_the_owner_once(
    celery_worker, outbox_backend, agent, team_a
):
    from core.queue import send_task_now
    from surveys.responses import response_submit
    from tests.factories import InvitationFactory

    RoutingRuleFactory(target=RoutingRule.Target.ACCOUNT_OWNER, team=team_a)
    invitation = InvitationFactory(contact=ContactFactory(account_owner=agent))
    response = response_submit(invitation=invitation, score=3).response  # enqueues on commit, by name
    send_task_now("followups.tasks.process_response", response.pk)  # and a duplicate delivery
    assert wait_for(lambda: OutboxMessage.objects.filter(to=agent.email).exists())
    time.sleep(1.5)
    assert FollowUp.objects.filter(response=response, owner=agent).count() == 1
    assert OutboxMessage.objects.filter(to=agent.email).count() == 1


def test_an_answer_that_cannot_be_processed_does_not_hold_up_the_rest_of_its_batch(db, caplog):
    from followups.processing import responses_process

    broken = ResponseFactory(score=2)
    ResponseFactory(contact=broken.contact, score=9, submitted_at=timezone.now() - timedelta(days=30))
    response_process(response_id=broken.pk)
    Response.objects.filter(pk=broken.pk).update(category="bogus")  # bad data: no rank to compare with
    before, after = ResponseFactory(score=3), ResponseFactory(score=6)
    assert responses_process(response_ids=[before.pk, broken.pk, after.pk]) == 2
    assert FollowUp.objects.filter(response__in=[before, after]).count() == 2
    assert not Response.objects.filter(pk__in=[before.pk, after.pk], processed_at__isnull=True).exists()
    assert f"Could not process response {broken.pk}" in caplog.text
