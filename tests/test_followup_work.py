"""Agents work their cases: transitions in one place, history kept, only their teams' cases."""

import pytest
from django.core.exceptions import ValidationError

from core.models import AuditLog
from followups.models import FollowUp, FollowUpEvent, RootCauseTag
from followups.services import followup_transition
from tests.factories import FollowUpFactory, ResponseFactory

S = FollowUp.Status


@pytest.fixture
def case(db, agent, team_a):
    return FollowUpFactory(owner=agent, team=team_a, response=ResponseFactory(score=2, comment="<script>x</script>"))


def test_the_case_page_escapes_the_comment(client, agent, case):
    client.force_login(agent)
    html = client.get(f"/followups/{case.pk}/").content.decode()
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert "<script>x</script>" not in html


def test_an_agent_of_another_team_gets_404(client, agent_b, case):
    client.force_login(agent_b)
    assert client.get(f"/followups/{case.pk}/").status_code == 404
    assert client.post(f"/followups/{case.pk}/", {"action": "note", "note-text": "hi"}).status_code == 404


def test_an_agent_of_another_team_cannot_claim_it_either(client, agent_b, team_a):
    unassigned = FollowUpFactory(owner=None, team=team_a)
    client.force_login(agent_b)
    assert client.post(f"/followups/{unassigned.pk}/claim/").status_code == 404
    unassigned.refresh_from_db()
    assert unassigned.owner is None


def test_a_viewer_gets_403(client, viewer, case):
    client.force_login(viewer)
    assert client.get(f"/followups/{case.pk}/").status_code == 403
    assert client.post(f"/followups/{case.pk}/claim/").status_code == 403


def test_an_anonymous_visitor_is_sent_to_login(client, case):
    response = client.get(f"/followups/{case.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_logging_a_reached_call_marks_the_case_contacted(client, agent, case):
    client.force_login(agent)
    response = client.post(
        f"/followups/{case.pk}/",
        {"action": "attempt", "attempt-channel": "phone", "attempt-result": "reached", "attempt-note": "Spoke to Jan"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == S.CONTACTED and case.first_contact_at is not None
    assert FollowUpEvent.objects.filter(followup=case, kind="attempt", text="Spoke to Jan").exists()


def test_resolving_needs_a_summary(client, agent, case):
    followup_transition(followup=case, to=S.CONTACTED, actor=agent)
    client.force_login(agent)
    response = client.post(f"/followups/{case.pk}/", {"action": "status", "status-status": "resolved"})
    assert response.status_code == 400
    assert "needs a resolution summary" in response.content.decode()
    case.refresh_from_db()
    assert case.status == S.CONTACTED
    client.post(
        f"/followups/{case.pk}/",
        {"action": "status", "status-status": "resolved", "status-summary": "Refunded and apologised"},
    )
    case.refresh_from_db()
    assert case.status == S.RESOLVED and case.resolution_summary == "Refunded and apologised"
    assert AuditLog.objects.filter(action="followup.status", target_id=str(case.pk)).exists()


def test_closing_without_contact_needs_a_reason(agent, case):
    with pytest.raises(ValidationError, match="needs a reason"):
        followup_transition(followup=case, to=S.CLOSED, actor=agent)
    followup_transition(followup=case, to=S.CLOSED, actor=agent, reason="Wrong number")
    case.refresh_from_db()
    assert case.closed_reason == "Wrong number"


@pytest.mark.parametrize(
    "path,refused",
    [
        ([], S.RESOLVED),  # new cannot be resolved: the customer was never reached
        ([S.IN_PROGRESS], S.RESOLVED),
        ([S.IN_PROGRESS], S.NEW),  # nothing goes back to new
        ([S.CONTACTED, S.RESOLVED], S.CONTACTED),
        ([S.CLOSED], S.RESOLVED),
    ],
)
def test_only_the_allowed_transitions(agent, case, path, refused):
    for status in path:
        followup_transition(followup=case, to=status, actor=agent, summary="done", reason="no answer")
    with pytest.raises(ValidationError, match="cannot become"):
        followup_transition(followup=case, to=refused, actor=agent, summary="done", reason="again")
    case.refresh_from_db()
    assert case.status == (path[-1] if path else S.NEW)


def test_the_whole_way_keeps_each_step_in_the_history(agent, case):
    for status in (S.IN_PROGRESS, S.CONTACTED, S.RESOLVED):
        followup_transition(followup=case, to=status, actor=agent, summary="Refund sent")
    steps = list(case.events.filter(kind="status").values_list("data__status_to", "actor"))
    assert steps == [(S.IN_PROGRESS, agent.pk), (S.CONTACTED, agent.pk), (S.RESOLVED, agent.pk)]
    case.refresh_from_db()
    assert case.closed_at is not None and case.first_contact_at is not None


def test_reopening_clears_the_closing_reason(agent, case):
    followup_transition(followup=case, to=S.CLOSED, actor=agent, reason="Wrong number")
    followup_transition(followup=case, to=S.IN_PROGRESS, actor=agent)
    case.refresh_from_db()
    assert (case.status, case.closed_at, case.closed_reason) == (S.IN_PROGRESS, None, "")
    assert case.events.filter(text__contains="Wrong number").exists()


def test_the_outcome_is_saved_without_a_status_change(client, agent, case):
    client.force_login(agent)
    response = client.post(
        f"/followups/{case.pk}/", {"action": "status", "status-status": "new", "status-outcome": "Discount offered"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.outcome == "Discount offered" and case.status == S.NEW
    assert case.events.filter(text="Outcome: Discount offered").exists()


def test_an_unknown_status_or_action_is_refused_with_400(client, agent, case):
    client.force_login(agent)
    assert client.post(f"/followups/{case.pk}/", {"action": "status", "status-status": "done"}).status_code == 400
    unknown = client.post(f"/followups/{case.pk}/", {"action": "explode"})
    assert unknown.status_code == 400
    assert "Unknown action." in unknown.content.decode()
    case.refresh_from_db()
    assert case.status == S.NEW


def test_tags_and_reassignment_are_kept_in_the_history(client, agent, lead, case):
    client.force_login(agent)
    tag = RootCauseTag.objects.get(slug="price")
    client.post(f"/followups/{case.pk}/", {"action": "tags", "tags-tags": [tag.pk]})
    client.post(
        f"/followups/{case.pk}/",
        {"action": "reassign", "reassign-owner": lead.pk, "reassign-reason": "Lena knows this account"},
    )
    case.refresh_from_db()
    assert list(case.tags.all()) == [tag] and case.owner == lead
    kinds = list(case.events.values_list("kind", flat=True))
    assert "tagged" in kinds and "reassigned" in kinds


def test_the_django_admin_shows_a_case_read_only(client, admin, case):
    admin.is_staff = admin.is_superuser = True  # Django admin access: staff with model permissions
    admin.save()
    client.force_login(admin)
    page = client.get(f"/django-admin/followups/followup/{case.pk}/change/")
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()  # status changes only through followup_transition
    assert client.get("/django-admin/followups/followup/").status_code == 200


def test_the_case_page_shows_driver_answers_and_the_customer_timeline(client, agent, team_a):
    from datetime import timedelta

    from django.utils import timezone

    from surveys.models import Answer, Question
    from tests.factories import CampaignFactory, ContactFactory

    contact = ContactFactory()
    # An answer to a team A survey: the agent of team A sees it on the timeline (#20.7).
    first = ResponseFactory(
        campaign=CampaignFactory(team=team_a),
        contact=contact,
        score=9,
        submitted_at=timezone.now() - timedelta(days=200),
    )
    earlier_case = FollowUpFactory(
        owner=agent,
        team=team_a,
        response=ResponseFactory(contact=contact, score=5, submitted_at=timezone.now() - timedelta(days=100)),
    )
    case = FollowUpFactory(owner=agent, team=team_a, response=ResponseFactory(contact=contact, score=2))
    question = Question.objects.create(
        campaign=case.response.campaign, text="Was the price fair?", kind="csat", order=1
    )
    Answer.objects.create(response=case.response, question=question, number=1)
    client.force_login(agent)
    page = client.get(f"/followups/{case.pk}/")
    html = page.content.decode()
    assert "Was the price fair?" in html
    timeline = page.context["timeline"]
    assert [item["obj"] for item in timeline] == [first, earlier_case.response, earlier_case, case.response]
    assert [item["at"] for item in timeline] == sorted(item["at"] for item in timeline)


def test_admins_add_and_switch_off_root_causes(client, admin, agent, case):
    client.force_login(admin)
    assert client.post("/followups/tags/", {"name": "Delivery", "slug": "delivery", "active": "on"}).status_code == 302
    delivery = RootCauseTag.objects.get(slug="delivery")
    client.post(f"/followups/tags/{delivery.pk}/toggle/")
    delivery.refresh_from_db()
    assert not delivery.active
    assert AuditLog.objects.filter(action="tag.deactivated", target_id=str(delivery.pk)).exists()
    client.force_login(agent)
    offered = client.get(f"/followups/{case.pk}/").context["forms"]["tags"].fields["tags"].queryset
    assert delivery not in offered and offered.filter(slug="price").exists()
    assert client.post("/followups/tags/", {"name": "X", "slug": "x"}).status_code == 403
