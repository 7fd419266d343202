"""Follow-up cases through the API: list with filters, read with history, status changes by the
same rules as the product (followups.services), notes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import AuditLog
from followups.models import FollowUp, FollowUpEvent
from tests.api_fixtures import api, api_as, token_for  # noqa: F401
from tests.factories import FollowUpFactory

pytestmark = pytest.mark.django_db


def _ids(api, query=""):
    response = api.get(f"/api/followups/?{query}")
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def _patch(api, case, **body):
    return api.patch(f"/api/followups/{case.pk}/", body, format="json")


def test_it_lists_cases_with_filters(api, agent, team_a):
    now = timezone.now()
    late = FollowUpFactory(owner=agent, team=team_a, due_at=now - timedelta(hours=1))
    fine = FollowUpFactory(due_at=now + timedelta(days=1))
    done = FollowUpFactory(status="resolved", due_at=now - timedelta(days=3))
    assert _ids(api) == [done.pk, fine.pk, late.pk]
    assert _ids(api, "overdue=true") == [late.pk]
    assert _ids(api, "overdue=false") == [done.pk, fine.pk]
    assert _ids(api, f"owner={agent.username}") == [late.pk]
    assert _ids(api, f"team={team_a.pk}") == [late.pk]
    assert _ids(api, "status=resolved") == [done.pk]
    assert _ids(api, "category=detractor&status=new") == [fine.pk, late.pk]
    row = api.get("/api/followups/").json()["results"][2]
    assert (row["owner"], row["overdue"], row["status"]) == (agent.username, True, "new")


@pytest.mark.parametrize(
    "query,field", [("status=done", "status"), ("overdue=often", "overdue"), ("team=x", "team"), ("sort=due", "sort")]
)
def test_a_bad_filter_is_a_400_naming_it(api, query, field):
    response = api.get(f"/api/followups/?{query}")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_it_reads_a_case_with_its_history(api):
    case = FollowUpFactory()
    FollowUpEvent.objects.create(followup=case, kind="note", text="Called, no answer")
    body = api.get(f"/api/followups/{case.pk}/").json()
    assert body["id"] == case.pk and body["response"] == case.response_id
    assert [(e["kind"], e["text"]) for e in body["events"]] == [("note", "Called, no answer")]


def test_a_status_change_goes_through_the_followup_service(api):
    case = FollowUpFactory()
    response = _patch(api, case, status="in_progress")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "in_progress"
    assert FollowUpEvent.objects.filter(followup=case, kind="status", data__status_to="in_progress").exists()
    assert AuditLog.objects.filter(action="followup.status", target_id=str(case.pk)).exists()
    case.refresh_from_db()
    assert case.owner is None  # the API is not a staff member: the case is not assigned to anyone


def test_a_transition_the_status_does_not_allow_is_a_409(api):
    case = FollowUpFactory()
    response = _patch(api, case, status="resolved", summary="Fixed")
    assert response.status_code == 409
    assert "cannot become" in response.json()["detail"]
    assert FollowUp.objects.get(pk=case.pk).status == "new"


def test_closing_needs_a_reason_and_resolving_a_summary(api):
    case = FollowUpFactory(status="contacted")
    response = _patch(api, case, status="closed")
    assert response.status_code == 400 and "reason" in response.json()["detail"]
    response = _patch(api, case, status="resolved", summary="  ")
    assert response.status_code == 400 and "summary" in response.json()["detail"]
    response = _patch(api, case, status="resolved", summary="Refunded the fee", outcome="Kept the customer")
    assert response.status_code == 200
    case.refresh_from_db()
    assert (case.status, case.resolution_summary, case.outcome) == ("resolved", "Refunded the fee", "Kept the customer")
    assert case.closed_at is not None


@pytest.mark.parametrize("body", [{}, {"status": "done"}, {"status": "closed", "reason": "x" * 201}, {"outcome": ""}])
def test_an_invalid_change_is_a_400(api, body):
    case = FollowUpFactory()
    response = api.patch(f"/api/followups/{case.pk}/", body, format="json")
    assert response.status_code == 400
    assert FollowUp.objects.get(pk=case.pk).status == "new"


def test_a_note_is_added_to_the_history(api):
    case = FollowUpFactory()
    response = api.post(f"/api/followups/{case.pk}/notes/", {"text": "  Customer called back  "}, format="json")
    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["text"], response.json()["actor"]) == (
        "note",
        "Customer called back",
        None,
    )
    assert FollowUpEvent.objects.filter(followup=case, kind="note").count() == 1


@pytest.mark.parametrize("body", [{}, {"text": "   "}, {"text": 5 * 1001 * "x"}])
def test_an_empty_or_huge_note_is_a_400(api, body):
    case = FollowUpFactory()
    assert api.post(f"/api/followups/{case.pk}/notes/", body, format="json").status_code == 400
    assert not FollowUpEvent.objects.filter(followup=case).exists()


def test_an_unknown_case_is_a_404(api):
    assert api.get("/api/followups/777/").status_code == 404
    assert api.patch("/api/followups/777/", {"status": "closed"}, format="json").status_code == 404
    assert api.post("/api/followups/777/notes/", {"text": "x"}, format="json").status_code == 404
