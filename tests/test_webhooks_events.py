"""Each event becomes one delivery per active endpoint that subscribed to it, written in the
transaction of the change it reports, with a stable documented payload."""

import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from followups import processing, services
from followups.escalation import escalate_case
from followups.improvements import improvement_link, improvement_ship
from followups.models import FollowUp, Improvement, RootCauseTag
from tests.factories import ContactFactory, FollowUpFactory, ResponseFactory
from tests.webhooks_support import make_endpoint
from webhooks.events import EVENT_TYPES, emit
from webhooks.models import Delivery


def _events(endpoint):
    return list(Delivery.objects.filter(endpoint=endpoint).order_by("created_at").values_list("event", flat=True))


def _payload(delivery):
    return json.loads(delivery.body)


@pytest.fixture
def everything(db):
    return make_endpoint(events=list(EVENT_TYPES))


@pytest.fixture
def others(db):
    """An endpoint that wants answers only, and a disabled one that wants everything."""
    return [
        make_endpoint(events=["response.created"], url="https://answers.example.com/"),
        make_endpoint(events=list(EVENT_TYPES), active=False, url="https://off.example.com/"),
    ]


def test_a_new_answer_is_reported_once_with_its_follow_up(everything, others, settings):
    settings.SITE_URL = "https://nps.example.com"
    contact = ContactFactory(email="ann@example.com", external_id="crm-42", company="Ann BV", phone="+31 6 1234 5678")
    response = ResponseFactory(contact=contact, score=3, comment="Too slow")
    processing.response_process(response_id=response.pk)
    processing.response_process(response_id=response.pk)  # a duplicate task: nothing new
    assert _events(everything) == ["response.created", "followup.created"]
    assert _events(others[0]) == ["response.created"]
    assert _events(others[1]) == []

    delivery = Delivery.objects.get(endpoint=everything, event="response.created")
    payload = _payload(delivery)
    assert payload["id"] == str(delivery.pk) and payload["type"] == "response.created"
    assert payload["created"].endswith("Z")
    data = payload["data"]["response"]
    assert (data["id"], data["score"], data["category"], data["comment"]) == (response.pk, 3, "detractor", "Too slow")
    assert data["campaign"] == {
        "id": response.campaign.pk,
        "name": response.campaign.name,
        "url": f"https://nps.example.com/campaigns/{response.campaign.pk}/",
    }
    assert data["touchpoint"]["name"] == response.touchpoint.name
    assert data["contact"]["email"] == "ann@example.com" and data["contact"]["external_id"] == "crm-42"
    assert data["contact"]["phone"] == "+31 6 1234 5678"
    assert data["contact"]["url"] == f"https://nps.example.com/contacts/{contact.pk}/"


def test_a_promoter_without_a_case_is_reported_as_an_answer_only(everything):
    processing.response_process(response_id=ResponseFactory(score=10).pk)
    assert _events(everything) == ["response.created"]


def test_the_follow_up_payload_names_owner_status_deadline_and_link(everything, agent, team_a, settings):
    settings.SITE_URL = "https://nps.example.com"
    response = ResponseFactory(score=5)
    processing.response_process(response_id=response.pk)
    case = FollowUp.objects.get(response=response)
    FollowUp.objects.filter(pk=case.pk).update(owner=agent, team=team_a)
    case.refresh_from_db()
    services.followup_transition(followup=case, to="closed", actor=agent, reason="No phone number")
    data = _payload(Delivery.objects.get(endpoint=everything, event="followup.closed"))["data"]["followup"]
    assert data["id"] == case.pk and data["status"] == "closed" and data["category"] == "detractor"
    assert data["closed_reason"] == "No phone number" and data["closed_at"]
    assert data["owner"] == {"id": agent.pk, "username": agent.username, "name": "", "email": agent.email}
    assert data["team"] == {"id": team_a.pk, "name": "Team A"}
    assert data["due_at"] and data["escalation_level"] == 0
    assert data["url"] == f"https://nps.example.com/followups/{case.pk}/"
    assert data["response"]["id"] == response.pk and data["response"]["score"] == 5


def test_resolving_reports_closed_but_other_status_changes_do_not(everything, agent):
    case = FollowUpFactory(owner=agent)
    services.followup_transition(followup=case, to="in_progress", actor=agent)
    services.followup_transition(followup=case, to="contacted", actor=agent)
    assert _events(everything) == []
    services.followup_transition(followup=case, to="resolved", actor=agent, summary="Called, refunded")
    assert _events(everything) == ["followup.closed"]
    assert _payload(Delivery.objects.get(endpoint=everything))["data"]["followup"]["status"] == "resolved"


def test_an_escalation_is_reported_with_its_level(everything, admin, mailoutbox):
    case = FollowUpFactory(due_at=timezone.now() - timedelta(hours=1))
    assert escalate_case(case, level=1)
    assert not escalate_case(case, level=1)  # a second run gets nothing
    assert _events(everything) == ["followup.escalated"]
    assert _payload(Delivery.objects.get(endpoint=everything))["data"]["followup"]["escalation_level"] == 1


def test_shipping_an_improvement_is_reported(everything, admin, mailoutbox):
    improvement = Improvement.objects.create(title="Faster support", description_en="We answer within 4 hours.")
    tag = RootCauseTag.objects.create(name="Slow support", slug="slow-support")
    improvement.tags.add(tag)
    response = ResponseFactory(score=2)
    improvement_link(improvement=improvement, response_ids=[response.pk], actor=admin)
    improvement_ship(improvement=improvement, actor=admin)
    data = _payload(Delivery.objects.get(endpoint=everything, event="improvement.shipped"))["data"]["improvement"]
    assert data["id"] == improvement.pk and data["title"] == "Faster support" and data["status"] == "shipped"
    assert data["root_causes"] == ["Slow support"] and data["linked_responses"] == 1
    assert data["customers_to_notify"] == 1 and data["shipped_at"]


def test_an_endpoint_gets_only_what_it_subscribed_to(db):
    closing = make_endpoint(events=["followup.closed"])
    processing.response_process(response_id=ResponseFactory(score=1).pk)
    assert _events(closing) == []


def test_a_rolled_back_change_sends_nothing(everything):
    case = FollowUpFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        emit("followup.created", case)
        raise RuntimeError("the service failed after emitting")
    assert not Delivery.objects.exists()


def test_sending_waits_for_the_commit(everything, django_capture_on_commit_callbacks):
    case = FollowUpFactory()
    with django_capture_on_commit_callbacks() as callbacks:
        assert emit("followup.created", case) == 1
    assert len(callbacks) == 1
    assert Delivery.objects.get().status == "pending"


def test_without_subscribers_an_event_costs_one_query(db, django_assert_num_queries):
    make_endpoint(events=["improvement.shipped"])
    case = FollowUpFactory()
    with django_assert_num_queries(1):
        assert emit("followup.created", case) == 0


def test_erasing_a_contact_removes_the_deliveries_that_name_them(everything, admin):
    from core import privacy

    ann, bob = ContactFactory(email="ann@example.com"), ContactFactory(email="bob@example.com")
    processing.response_process(response_id=ResponseFactory(contact=ann, score=2).pk)
    processing.response_process(response_id=ResponseFactory(contact=bob, score=2).pk)
    assert Delivery.objects.filter(contact_id=ann.pk).count() == 2  # the answer and its case
    privacy.erase(ann, actor=admin)
    assert not Delivery.objects.filter(body__contains="ann@example.com").exists()
    assert Delivery.objects.filter(body__contains="bob@example.com").count() == 2


def _answers(*scores):
    return [ResponseFactory(score=score) for score in scores]


def test_a_batch_reports_each_new_answer_and_each_new_case_once(everything):
    promoter, detractor, passive = _answers(10, 2, 8)
    assert processing.responses_process(response_ids=[promoter.pk, detractor.pk, passive.pk]) == 3
    assert processing.responses_process(response_ids=[promoter.pk, detractor.pk, passive.pk]) == 3  # redelivered
    reported = {
        (delivery.event, _payload(delivery)["data"].get("response", {}).get("id"))
        for delivery in Delivery.objects.filter(event="response.created")
    }
    assert reported == {("response.created", r.pk) for r in (promoter, detractor, passive)}
    cases = [_payload(d)["data"]["followup"] for d in Delivery.objects.filter(event="followup.created")]
    assert sorted(case["response"]["id"] for case in cases) == [detractor.pk, passive.pk]
    assert all(case["status"] == "new" and case["root_causes"] == [] for case in cases)
    assert Delivery.objects.count() == 5


def test_a_batch_with_subscribers_costs_the_same_statements_whatever_its_length(everything):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def statements(scores):
        ids = [r.pk for r in _answers(*scores)]
        with CaptureQueriesContext(connection) as queries:
            processing.responses_process(response_ids=ids)
        return len(queries)

    assert statements([10, 2, 8]) == statements([10, 2, 8] * 10)
    assert Delivery.objects.filter(event="response.created").count() == 33
    assert Delivery.objects.filter(event="followup.created").count() == 22
