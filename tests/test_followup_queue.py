"""The lists agents work from: my follow-ups, the team queue, the fallback queue; claim and bulk reassign."""

from datetime import timedelta

import pytest
from django.utils import timezone

from followups.models import FollowUp, FollowUpEvent
from tests.factories import CampaignFactory, FollowUpFactory, ResponseFactory, TouchpointFactory, UserFactory

S = FollowUp.Status


def _pks(page):
    return [c.pk for c in page.context["page"]]


def test_my_followups_lists_my_open_cases_by_due_date(client, agent, team_a):
    later = FollowUpFactory(owner=agent, team=team_a, due_at=timezone.now() + timedelta(days=3))
    sooner = FollowUpFactory(owner=agent, team=team_a, due_at=timezone.now() - timedelta(hours=1))
    FollowUpFactory(owner=agent, team=team_a, status=S.RESOLVED)
    client.force_login(agent)
    page = client.get("/followups/")
    assert _pks(page) == [sooner.pk, later.pk]
    assert "overdue" in page.content.decode()


def test_my_followups_shows_an_empty_state(client, agent):
    client.force_login(agent)
    assert "Nothing here" in client.get("/followups/").content.decode()


def test_the_filter_works_through_htmx(client, agent, team_a):
    FollowUpFactory(owner=agent, team=team_a, category="passive", response=ResponseFactory(score=7))
    FollowUpFactory(owner=agent, team=team_a)
    client.force_login(agent)
    page = client.get("/followups/?category=passive", HTTP_HX_REQUEST="true")
    assert page.status_code == 200
    assert "<html" not in page.content.decode()
    assert len(page.context["page"].object_list) == 1


def test_it_filters_by_campaign_touchpoint_and_overdue(client, agent, team_a):
    billing = CampaignFactory(name="Billing pulse", touchpoint=TouchpointFactory(name="Billing"))
    in_billing = FollowUpFactory(owner=agent, team=team_a, response=ResponseFactory(score=2, campaign=billing))
    other = FollowUpFactory(owner=agent, team=team_a, due_at=timezone.now() - timedelta(hours=2))
    client.force_login(agent)
    assert _pks(client.get(f"/followups/?campaign={billing.pk}")) == [in_billing.pk]
    assert _pks(client.get(f"/followups/?touchpoint={billing.touchpoint_id}")) == [in_billing.pk]
    assert _pks(client.get("/followups/?overdue=1")) == [other.pk]
    page = client.get("/followups/")
    assert "Billing pulse" in page.content.decode()  # offered in the campaign filter


def test_nonsense_filter_values_are_ignored(client, agent, team_a):
    case = FollowUpFactory(owner=agent, team=team_a)
    client.force_login(agent)
    page = client.get("/followups/?campaign=abc&touchpoint=-1&status=bogus&category=x&page=zz")
    assert page.status_code == 200
    assert _pks(page) == [case.pk]


def test_the_team_queue_shows_my_teams_cases_owned_or_not(client, agent, agent_b, team_a, team_b):
    unassigned = FollowUpFactory(owner=None, team=team_a)
    colleagues = FollowUpFactory(owner=UserFactory(role="agent"), team=team_a)
    FollowUpFactory(owner=agent_b, team=team_b)
    FollowUpFactory(owner=None, team=None)  # the fallback queue is for leads and admins
    client.force_login(agent)
    page = client.get("/followups/queue/")
    assert set(_pks(page)) == {unassigned.pk, colleagues.pk}
    assert "Reassign selected" not in page.content.decode()  # bulk reassignment is for leads


def test_leads_and_admins_see_the_fallback_queue(client, lead, admin, agent, team_a):
    fallback = FollowUpFactory(owner=None, team=None)
    client.force_login(lead)
    assert fallback.pk in _pks(client.get("/followups/queue/"))
    assert client.get(f"/followups/{fallback.pk}/").status_code == 200
    client.force_login(admin)
    assert fallback.pk in _pks(client.get("/followups/queue/"))
    client.force_login(agent)
    assert client.get(f"/followups/{fallback.pk}/").status_code == 404


def test_an_agent_claims_an_unassigned_team_case(client, agent, team_a):
    case = FollowUpFactory(owner=None, team=team_a)
    client.force_login(agent)
    assert case.pk in _pks(client.get("/followups/queue/"))
    client.post(f"/followups/{case.pk}/claim/")
    case.refresh_from_db()
    assert case.owner == agent
    assert case.events.get(kind=FollowUpEvent.Kind.REASSIGNED).text == "Claimed by arthur-agent."


def test_a_claimed_case_cannot_be_claimed_again(client, agent, lead, team_a):
    case = FollowUpFactory(owner=lead, team=team_a)
    client.force_login(agent)
    response = client.post(f"/followups/{case.pk}/claim/", follow=True)
    assert "already claimed" in response.content.decode()
    case.refresh_from_db()
    assert case.owner == lead


def test_the_claim_buttons_are_not_nested_in_the_bulk_form(client, lead, team_a):
    FollowUpFactory(owner=None, team=team_a)
    client.force_login(lead)
    html = client.get("/followups/queue/").content.decode()
    bulk = html[html.index('<form id="bulk-reassign"') :]
    bulk = bulk[: bulk.index("</form>")]
    assert bulk.count("<form") == 1
    assert 'form="bulk-reassign"' in html  # the row checkboxes join the bulk form by its id


def test_a_lead_reassigns_in_bulk(client, lead, agent, team_a):
    cases = [FollowUpFactory(owner=None, team=team_a) for _ in range(3)]
    client.force_login(lead)
    response = client.post(
        "/followups/queue/reassign/", {"followups": [c.pk for c in cases], "owner": agent.pk, "reason": "Holiday cover"}
    )
    assert response.status_code == 302
    assert FollowUp.objects.filter(owner=agent).count() == 3
    assert FollowUpEvent.objects.filter(kind="reassigned", text__contains="Holiday cover").count() == 3


def test_an_agent_cannot_reassign_in_bulk(client, agent, lead, team_a):
    case = FollowUpFactory(owner=None, team=team_a)
    client.force_login(agent)
    client.post("/followups/queue/reassign/", {"followups": [case.pk], "owner": lead.pk, "reason": "Mine now"})
    case.refresh_from_db()
    assert case.owner is None


def test_bulk_reassign_refuses_viewers_and_invisible_cases(client, lead, viewer, agent_b, team_b):
    foreign = FollowUpFactory(owner=agent_b, team=team_b)
    client.force_login(lead)
    client.post("/followups/queue/reassign/", {"followups": [foreign.pk], "owner": lead.pk, "reason": "Grab"})
    own = FollowUpFactory(owner=None, team=lead.led_teams.get())
    client.post("/followups/queue/reassign/", {"followups": [own.pk], "owner": viewer.pk, "reason": "Viewer"})
    foreign.refresh_from_db()
    own.refresh_from_db()
    assert foreign.owner == agent_b and own.owner is None


def test_the_case_filters_take_plain_values_and_ignore_unknown_ones(db):
    from followups.queries import cases_filtered

    late = FollowUpFactory(due_at=timezone.now() - timedelta(hours=1))
    soon = FollowUpFactory()
    done = FollowUpFactory(status="resolved")
    everything = FollowUp.objects.all()
    assert list(cases_filtered(everything)) == [late, soon]  # open ones, soonest deadline first
    assert list(cases_filtered(everything, status="resolved")) == [done]
    assert list(cases_filtered(everything, status="nonsense", category="nonsense")) == [late, soon, done]
    assert list(cases_filtered(everything, overdue=True)) == [late]
    assert list(cases_filtered(everything, campaign_id=soon.response.campaign_id)) == [soon]


def test_the_case_timeline_shows_the_customers_other_answers_and_cases_oldest_first(db, admin):
    from followups.queries import case_timeline

    case = FollowUpFactory()
    earlier = ResponseFactory(contact=case.contact, submitted_at=case.response.submitted_at - timedelta(days=9))
    other = FollowUpFactory(response=earlier)
    timeline, hidden = case_timeline(case, admin)
    assert hidden == 0
    assert [(item["kind"], item["obj"]) for item in timeline] == [
        ("response", earlier),
        ("response", case.response),
        ("followup", other),
    ]
    assert [item.get("current") for item in timeline[:2]] == [False, True]


@pytest.mark.parametrize("status", [s for s, _label in FollowUp.Status.choices])
@pytest.mark.parametrize("hours", [-1, 1])
def test_overdue_is_one_rule_for_a_case_in_hand_and_for_a_query(db, status, hours):
    case = FollowUpFactory(status=status, due_at=timezone.now() + timedelta(hours=hours))
    in_query = FollowUp.objects.filter(FollowUp.overdue_condition(), pk=case.pk).exists()
    assert case.is_overdue == in_query == (hours < 0 and status in FollowUp.OPEN_STATUSES)


def test_a_resolved_case_past_its_deadline_is_not_shown_as_overdue(client, admin):
    case = FollowUpFactory(status="resolved", due_at=timezone.now() - timedelta(days=3))
    client.force_login(admin)
    html = client.get("/followups/queue/?status=resolved").content.decode()
    assert f"/followups/{case.pk}/" in html
    assert "overdue by" not in html and "table-danger" not in html


def test_bulk_reassign_is_one_service_all_or_nothing(lead, agent, viewer, team_a):
    from django.core.exceptions import PermissionDenied, ValidationError

    from followups.services import followups_bulk_assign

    cases = [FollowUpFactory(owner=None, team=team_a) for _ in range(2)]
    with pytest.raises(PermissionDenied):
        followups_bulk_assign(followups=cases, actor=agent, owner=agent, reason="Mine now")
    with pytest.raises(ValidationError):  # a viewer cannot own cases: nothing moves
        followups_bulk_assign(followups=cases, actor=lead, owner=viewer, reason="Viewer")
    assert not FollowUp.objects.filter(owner__isnull=False).exists()
    assert followups_bulk_assign(followups=cases, actor=lead, owner=agent, reason="Cover") == 2
    assert FollowUp.objects.filter(owner=agent).count() == 2
