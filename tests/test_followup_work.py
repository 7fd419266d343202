"""Agents work their cases: transitions in one place, history kept, only their teams' cases."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from freezegun import freeze_time

from core.models import AuditLog
from followups.escalation import escalate_overdue
from followups.models import FollowUp, FollowUpEvent, RootCauseTag
from followups.services import followup_transition
from followups.sla import add_business_hours
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


def test_a_viewer_gets_403(client, viewer, case):
    client.force_login(viewer)
    assert client.get(f"/followups/{case.pk}/").status_code == 403


def test_logging_a_reached_call_marks_the_case_contacted(client, agent, case):
    client.force_login(agent)
    response = client.post(f"/followups/{case.pk}/", {"action": "attempt", "attempt-channel": "phone",
                                                       "attempt-result": "reached", "attempt-note": "Spoke to Jan"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == S.CONTACTED and case.first_contact_at is not None
    assert FollowUpEvent.objects.filter(followup=case, kind="attempt", text="Spoke to Jan").exists()


def test_resolving_needs_a_summary(client, agent, case):
    client.force_login(agent)
    response = client.post(f"/followups/{case.pk}/", {"action": "status", "status-status": "resolved"})
    assert response.status_code == 400
    assert "needs a resolution summary" in response.content.decode()
    case.refresh_from_db()
    assert case.status == S.NEW
    client.post(f"/followups/{case.pk}/", {"action": "status", "status-status": "resolved",
                                           "status-summary": "Refunded and apologised"})
    case.refresh_from_db()
    assert case.status == S.RESOLVED and case.resolution_summary == "Refunded and apologised"
    assert AuditLog.objects.filter(action="followup.status", target_id=str(case.pk)).exists()


def test_closing_without_contact_needs_a_reason(agent, case):
    with pytest.raises(ValidationError, match="needs a reason"):
        followup_transition(followup=case, to=S.CLOSED, actor=agent)
    followup_transition(followup=case, to=S.CLOSED, actor=agent, reason="Wrong number")
    case.refresh_from_db()
    assert case.closed_reason == "Wrong number"


def test_only_the_allowed_transitions(agent, case):
    followup_transition(followup=case, to=S.RESOLVED, actor=agent, summary="done")
    with pytest.raises(ValidationError, match="cannot become contacted"):
        followup_transition(followup=case, to=S.CONTACTED, actor=agent)


def test_tags_and_reassignment_are_kept_in_the_history(client, agent, lead, case):
    client.force_login(agent)
    tag = RootCauseTag.objects.get(slug="price")
    client.post(f"/followups/{case.pk}/", {"action": "tags", "tags-tags": [tag.pk]})
    client.post(f"/followups/{case.pk}/", {"action": "reassign", "reassign-owner": lead.pk,
                                           "reassign-reason": "Lena knows this account"})
    case.refresh_from_db()
    assert list(case.tags.all()) == [tag] and case.owner == lead
    kinds = list(case.events.values_list("kind", flat=True))
    assert "tagged" in kinds and "reassigned" in kinds


def test_escalation_goes_to_the_lead_once_then_to_admins(db, lead, admin, team_a, mailoutbox):
    with freeze_time("2026-11-02 10:00"):
        case = FollowUpFactory(team=team_a, due_at=timezone.now() + timedelta(hours=48))
    with freeze_time("2026-11-04 11:00"):  # overdue
        assert escalate_overdue() == 1
        assert escalate_overdue() == 0  # the same level never twice
    assert [m.to for m in mailoutbox] == [[lead.email]]
    with freeze_time("2026-11-06 11:00"):  # late by a whole SLA again
        assert escalate_overdue() == 1
    case.refresh_from_db()
    assert case.escalation_level == 2
    assert mailoutbox[-1].to == [admin.email]
    assert case.events.filter(kind="escalated").count() == 2


def test_business_hours_skip_nights_and_weekends():
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Europe/Amsterdam")
    friday_4pm = timezone.datetime(2026, 11, 6, 16, 0, tzinfo=tz)
    due = add_business_hours(friday_4pm, 2, tz=tz)
    assert due == timezone.datetime(2026, 11, 9, 10, 0, tzinfo=tz)  # Monday 10:00
    saturday = timezone.datetime(2026, 11, 7, 12, 0, tzinfo=tz)
    assert add_business_hours(saturday, 8, tz=tz) == timezone.datetime(2026, 11, 9, 17, 0, tzinfo=tz)
