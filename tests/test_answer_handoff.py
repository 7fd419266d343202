"""New answers reach the worker through a cheap hand-off (core/handoff.py): the request appends the
response id to a Redis list, the workers' dispatcher publishes them in batches, and the sweep is
the safety net when the hand-off is lost."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core import handoff
from core.models import OutboxMessage
from followups.models import FollowUp, RoundRobinState, RoutingRule
from followups.processing import responses_process
from followups.tasks import sweep_unrouted_responses
from surveys.models import Invitation, Response
from tests.factories import ContactFactory, InvitationFactory, RoutingRuleFactory, UserFactory
from tests.helpers import handed_off, published_tasks, wait_for

BATCH_TASK = "followups.tasks.process_responses"


@pytest.fixture(autouse=True)
def _owner_alert_at_once(settings):
    """These tests are about exactly once, not timing: the owner alert goes out at once instead of
    waiting for the customer's "why" (tests/test_owner_alert_hold.py covers the hold)."""
    settings.KRINGLOOP = {**settings.KRINGLOOP, "OWNER_ALERT_HOLD_SECONDS": 0}


@pytest.fixture
def answer(django_capture_on_commit_callbacks):
    def post(client, invitation, score):
        with django_capture_on_commit_callbacks(execute=True):  # the test's transaction never commits
            return client.post(f"/s/{invitation.token}/", {"score": score})

    return post


def test_an_answer_is_handed_off_and_dispatched_as_one_batch_task(client, db, broker, answer):
    invitations = [InvitationFactory() for _ in range(3)]
    for invitation, score in zip(invitations, (2, 7, 10)):
        assert answer(client, invitation, score).status_code == 302
    ids = list(Response.objects.order_by("pk").values_list("pk", flat=True))
    assert handed_off() == ids
    assert published_tasks() == []  # the requests published no Celery message

    taken = handoff.take(wait=0.1)
    assert taken == ids and handed_off() == []
    assert handoff.dispatch(taken) == 3
    assert published_tasks(BATCH_TASK) == [(BATCH_TASK, [ids])]
    assert handoff.take(wait=0.1) == []  # nothing twice


def test_answers_arriving_within_the_gather_window_join_the_first_ones_batch(db, broker):
    import threading

    client = handoff._client()
    client.rpush(handoff.KEY, 1)
    later = threading.Timer(0.1, lambda: client.rpush(handoff.KEY, 2))
    later.start()
    assert handoff.take(wait=0.1, gather=0.5) == [1, 2]  # the second came 0.1 s after the first
    later.join()

    client.rpush(handoff.KEY, 3)
    later = threading.Timer(0.3, lambda: client.rpush(handoff.KEY, 4))
    later.start()
    assert handoff.take(wait=0.1, gather=0) == [3]  # no window: the batch leaves at once
    later.join()
    assert handoff.take(wait=0.1) == [4]


def test_the_batch_task_processes_every_answer_and_marks_the_invitations_answered(db, agent, team_a):
    from followups.tasks import process_responses

    invitations = [InvitationFactory(contact=ContactFactory(account_owner=agent)) for _ in range(3)]
    responses = [
        Response.objects.create(
            campaign=i.campaign,
            contact=i.contact,
            invitation=i,
            score=s,
            category=c,
            kind="relational",
            channel="email",
            submitted_at=timezone.now(),
        )
        for i, s, c in zip(invitations, (1, 8, 9), ("detractor", "passive", "promoter"))
    ]
    assert process_responses([r.pk for r in responses] + [10**9]) == 4  # an erased id is skipped quietly
    assert FollowUp.objects.filter(response__in=responses[:2]).count() == 2
    assert not FollowUp.objects.filter(response=responses[2]).exists()
    assert set(Invitation.objects.values_list("status", flat=True)) == {"answered"}
    assert not Response.objects.filter(processed_at__isnull=True).exists()


def test_without_redis_the_answer_is_kept_and_the_sweep_processes_it(client, db, settings, broker, answer):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    handoff._local.client = None
    try:
        invitation = InvitationFactory()
        assert answer(client, invitation, 3).status_code == 302
    finally:
        handoff._local.client = None
    response = Response.objects.get()
    assert response.processed_at is None
    Response.objects.filter(pk=response.pk).update(submitted_at=timezone.now() - timedelta(minutes=5))
    assert sweep_unrouted_responses() == 1
    assert FollowUp.objects.filter(response=response).exists()


def test_with_the_hand_off_switched_off_each_answer_publishes_its_own_task(client, db, settings, broker, answer):
    settings.KRINGLOOP = {**settings.KRINGLOOP, "ANSWER_HANDOFF": False}
    answer(client, InvitationFactory(), 4)
    response_id = Response.objects.get().pk
    assert handed_off() == []
    assert published_tasks("followups.tasks.process_response") == [("followups.tasks.process_response", [response_id])]


@pytest.mark.worker
def test_a_real_worker_dispatches_routes_and_alerts_the_owner(celery_worker, outbox_backend, agent, team_a):
    from django.test import Client

    RoutingRuleFactory(target=RoutingRule.Target.ACCOUNT_OWNER, team=team_a)
    invitations = [InvitationFactory(contact=ContactFactory(account_owner=agent)) for _ in range(5)]
    client = Client()
    for invitation in invitations:
        assert client.post(f"/s/{invitation.token}/", {"score": 2}).status_code == 302
    assert wait_for(lambda: FollowUp.objects.filter(owner=agent).count() == 5)
    assert wait_for(lambda: OutboxMessage.objects.filter(to=agent.email).count() == 5)
    assert wait_for(lambda: not Invitation.objects.exclude(status="answered").exists())
    assert handed_off() == []


def test_a_batch_of_new_promoters_is_settled_in_a_fixed_number_of_queries(db, django_assert_max_num_queries):
    def batch(size):
        made = []
        for _ in range(size):
            invitation = InvitationFactory()
            made.append(
                Response.objects.create(
                    campaign=invitation.campaign,
                    contact=invitation.contact,
                    invitation=invitation,
                    score=10,
                    category="promoter",
                    kind="relational",
                    channel="email",
                    submitted_at=timezone.now(),
                )
            )
        return made

    small, large = batch(2), batch(20)
    with django_assert_max_num_queries(8):
        assert responses_process(response_ids=[r.pk for r in small]) == 2
    with django_assert_max_num_queries(8):
        assert responses_process(response_ids=[r.pk for r in large]) == 20
    for response in small + large:
        response.refresh_from_db()
        response.invitation.refresh_from_db()
        assert response.processed_at is not None and not FollowUp.objects.filter(response=response).exists()
        assert (response.invitation.status, response.invitation.answered_at) == ("answered", response.submitted_at)


def test_a_batch_mixes_settled_promoters_and_cases(db):
    invitations = [InvitationFactory() for _ in range(3)]
    promoter_campaign = invitations[2].campaign
    promoter_campaign.followup_promoters = True  # this campaign asks promoters for a review: a case
    promoter_campaign.save()
    rows = [
        Response.objects.create(
            campaign=i.campaign,
            contact=i.contact,
            invitation=i,
            score=s,
            category=c,
            kind="relational",
            channel="email",
            submitted_at=timezone.now(),
        )
        for i, s, c in zip(invitations, (10, 2, 9), ("promoter", "detractor", "promoter"))
    ]
    assert responses_process(response_ids=[r.pk for r in rows]) == 3
    assert list(FollowUp.objects.order_by("response_id").values_list("response_id", flat=True)) == [
        rows[1].pk,
        rows[2].pk,
    ]
    assert not Response.objects.filter(processed_at__isnull=True).exists()


def _unhappy_batch(size, **contact_kwargs):
    made = []
    for i in range(size):
        invitation = InvitationFactory(contact=ContactFactory(**contact_kwargs))
        score = (2, 7)[i % 2]
        made.append(
            Response.objects.create(
                campaign=invitation.campaign,
                contact=invitation.contact,
                invitation=invitation,
                score=score,
                category="detractor" if score < 7 else "passive",
                kind="relational",
                channel="email",
                submitted_at=timezone.now(),
            )
        )
    return made


def test_a_batch_of_new_cases_is_opened_in_a_fixed_number_of_queries(db, team_a, django_assert_max_num_queries):
    members = [UserFactory(username=f"rr{i}", role="agent") for i in range(3)]
    team_a.members.add(*members)
    RoutingRuleFactory(target=RoutingRule.Target.ROUND_ROBIN, team=team_a)
    small, large = _unhappy_batch(2), _unhappy_batch(20)
    with django_assert_max_num_queries(21):
        assert responses_process(response_ids=[r.pk for r in small]) == 2
    with django_assert_max_num_queries(21):
        assert responses_process(response_ids=[r.pk for r in large]) == 20
    cases = list(FollowUp.objects.filter(response__in=small + large).order_by("response_id"))
    # Round robin carries on across and within batches, as one answer at a time would.
    assert [case.owner for case in cases] == (members * 8)[:22]
    assert RoundRobinState.objects.get(team=team_a).last_user == members[(22 - 1) % 3]
    for case, response in zip(cases, small + large):
        response.refresh_from_db()
        response.invitation.refresh_from_db()
        assert case.category == response.category and case.team == team_a and case.routed_by is not None
        assert case.due_at > case.created_at
        assert [e.kind for e in case.events.order_by("pk")] == ["created", "routed"]
        assert response.processed_at is not None
        assert (response.invitation.status, response.invitation.answered_at) == ("answered", response.submitted_at)


def test_a_batch_marks_a_customer_whose_score_dropped_at_risk(db):
    loyal = ContactFactory()
    Response.objects.create(
        campaign=InvitationFactory().campaign,
        contact=loyal,
        score=10,
        category="promoter",
        kind="relational",
        channel="email",
        submitted_at=timezone.now() - timedelta(days=30),
        processed_at=timezone.now(),
    )
    dropped, first_time = _unhappy_batch(1)[0], _unhappy_batch(1)[0]
    dropped.contact = loyal
    dropped.save()
    assert responses_process(response_ids=[dropped.pk, first_time.pk]) == 2
    assert FollowUp.objects.get(response=dropped).at_risk is True
    assert FollowUp.objects.get(response=first_time).at_risk is False


def test_a_batch_alerts_all_its_owners_itself_once_each(
    db, agent, team_a, lead, broker, outbox_backend, django_capture_on_commit_callbacks
):
    queued = _unhappy_batch(1)[0]  # in a team's queue: its lead is told
    RoutingRuleFactory(team=team_a, campaign=queued.campaign)
    RoutingRuleFactory(target=RoutingRule.Target.ACCOUNT_OWNER)
    rows = _unhappy_batch(3, account_owner=agent)
    with django_capture_on_commit_callbacks(execute=True):
        assert responses_process(response_ids=[r.pk for r in [*rows, queued]]) == 4
    cases = list(FollowUp.objects.filter(owner=agent).order_by("pk").values_list("pk", flat=True))
    assert len(cases) == 3
    assert OutboxMessage.objects.filter(to=agent.email).count() == 3
    assert OutboxMessage.objects.filter(to=lead.email).count() == 1
    assert broker("followups.tasks.notify_owners") == []  # sent by the processing task, not another hop
    with django_capture_on_commit_callbacks(execute=True):  # a duplicate delivery of the batch task
        assert responses_process(response_ids=[r.pk for r in [*rows, queued]]) == 4
    assert OutboxMessage.objects.filter(to__in=[agent.email, lead.email]).count() == 4


def test_alerts_the_batch_could_not_send_go_to_the_retrying_task(
    db, broker, provider, django_capture_on_commit_callbacks
):
    RoutingRuleFactory(target=RoutingRule.Target.ACCOUNT_OWNER)
    down = UserFactory(username="down-owner", email="down@example.com", role="agent")
    rows = _unhappy_batch(2, account_owner=down)
    with django_capture_on_commit_callbacks(execute=True):
        assert responses_process(response_ids=[r.pk for r in rows]) == 2  # the answers are processed all the same
    cases = list(FollowUp.objects.filter(owner=down).order_by("pk").values_list("pk", flat=True))
    assert len(cases) == 2
    assert broker("followups.tasks.notify_owners") == [("followups.tasks.notify_owners", [cases])]


def test_a_batch_reprocessed_opens_nothing_twice(db):
    rows = _unhappy_batch(4)
    assert responses_process(response_ids=[r.pk for r in rows]) == 4
    assert responses_process(response_ids=[r.pk for r in rows]) == 4  # a duplicate delivery of the task
    assert FollowUp.objects.filter(response__in=rows).count() == 4
    assert all(FollowUp.objects.get(response=r).events.count() == 2 for r in rows)
