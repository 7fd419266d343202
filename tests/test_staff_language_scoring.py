"""Dashboards and follow-up work in the staff member's own language (UserProfile.language):
pages, messages, case history and the e-mails staff receive. English users keep English."""

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone, translation
from django.utils.formats import date_format
from freezegun import freeze_time

from followups.escalation import escalate_overdue
from followups.models import FollowUp, Improvement, RoutingRule
from followups.processing import response_process
from followups.services import followup_transition
from followups.tasks import notify_owner
from tests.factories import (
    CampaignFactory,
    ContactFactory,
    FollowUpFactory,
    ResponseFactory,
    RoutingRuleFactory,
    UserFactory,
)
from tests.helpers import prefers


@pytest.fixture
def dutch_agent(db, team_a):
    user = prefers(UserFactory(username="noor-agent", role="agent"), "nl")
    team_a.members.add(user)
    return user


def _html(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def _answers():
    campaign = CampaignFactory(name="Support survey")
    for score, comment in ((10, "Snel geholpen"), (9, ""), (8, ""), (2, "Te lang gewacht")):
        ResponseFactory(
            campaign=campaign, score=score, comment=comment, submitted_at=timezone.now() - timedelta(days=3)
        )
    return campaign


# --- Pages ---------------------------------------------------------------------------------------
def test_the_dashboard_is_dutch_with_dutch_dates_and_chart_words(client, dutch_admin):
    _answers()
    client.force_login(dutch_admin)
    html = _html(client, "/dashboard/")
    assert '<html lang="nl">' in html
    for dutch in (
        "NPS-dashboard",
        "Promotors · passieven · criticasters",
        "Per contactmoment",
        "Waar criticasters over klagen",
        "Laatste 90 dagen",
        "Filters wissen",
        "Stand van de opvolging",
    ):
        assert dutch in html, dutch
    for english in (
        "NPS dashboard",
        "What detractors complain about",
        "By touchpoint",
        "Last 90 days",
        "Clear filters",
    ):
        assert english not in html, english
    today = timezone.localdate()
    with translation.override("nl"):
        assert date_format(today, "DATE_FORMAT") in html  # e.g. "24 november 2026"
    with translation.override("en"):
        assert date_format(today, "DATE_FORMAT") not in html  # "24 November 2026"
    words = json.loads(re.search(r'<script id="chart-labels" type="application/json">(.*?)</script>', html).group(1))
    assert words["margin"] == "95 %-marge" and words["answers"] == "Antwoorden"


def test_the_follow_up_panel_and_comments_are_dutch(client, dutch_admin):
    _answers()
    FollowUpFactory(team=None)
    client.force_login(dutch_admin)
    panel = _html(client, "/dashboard/followups/")
    assert "Stand van de opvolging" in panel and "algemene wachtrij" in panel and "te laat" in panel
    assert "Follow-up health" not in panel and "fallback queue" not in panel
    comments = _html(client, "/dashboard/comments/")
    assert "Wat klanten zeiden" in comments and "opmerkingen" in comments and "Te lang gewacht" in comments
    assert "What customers said" not in comments and "Back to the dashboard" not in comments


def test_an_english_user_still_reads_english(client, admin, dutch_admin):
    _answers()
    client.force_login(admin)
    html = _html(client, "/dashboard/")
    assert "NPS dashboard" in html and "What detractors complain about" in html
    assert "NPS-dashboard" not in html and "criticasters" not in html


def test_the_queue_and_a_case_page_are_dutch(client, dutch_agent, team_a):
    RoutingRuleFactory(name="Alles naar team A", target=RoutingRule.Target.TEAM_QUEUE, team=team_a)
    case = response_process(response_id=ResponseFactory(score=2, comment="Niemand belde terug").pk).followup
    client.force_login(dutch_agent)
    queue = _html(client, "/followups/queue/")
    assert "Teamwachtrij" in queue and "Oppakken" in queue and "Nieuw" in queue and "Alle open" in queue
    assert "Team queue" not in queue and ">Claim<" not in queue and "All open" not in queue

    page = _html(client, f"/followups/{case.pk}/")
    for dutch in (
        f"Zaak #{case.pk}",
        "Aan de zaak werken",
        "Contactpoging vastleggen",
        "Geschiedenis van de zaak",
        "Zaak geopend voor een antwoord in de categorie criticaster (score 2).",
        "Doorgestuurd naar de wachtrij van Team A door regel ‘Alles naar team A’.",
    ):
        assert dutch in page, dutch
    for english in ("Work the case", "Case history", "Case opened for", "Routed to"):
        assert english not in page, english
    # The record itself stays in English (exports, API, webhooks read it).
    assert case.events.get(kind="created").text == "Case opened for a detractor answer (score 2)."


def test_messages_and_errors_on_a_case_are_dutch(client, dutch_agent, team_a):
    case = FollowUpFactory(team=team_a)
    client.force_login(dutch_agent)
    response = client.post(f"/followups/{case.pk}/claim/", follow=True)
    assert f"Zaak #{case.pk} is nu van u." in response.content.decode()
    response = client.post(f"/followups/{case.pk}/", {"action": "status", "status-status": "resolved"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Een zaak met status ‘nieuw’ kan niet ‘opgelost’ worden." in html
    assert "cannot become" not in html


def test_a_status_change_reads_in_each_readers_language(client, dutch_agent, agent, team_a):
    case = FollowUpFactory(team=team_a)
    followup_transition(followup=case, to=FollowUp.Status.CLOSED, actor=agent, reason="Klant wil niet gebeld worden")
    client.force_login(dutch_agent)
    assert "Status: Nieuw → Gesloten zonder contact. Reden: Klant wil niet gebeld worden" in _html(
        client, f"/followups/{case.pk}/"
    )
    client.force_login(agent)
    assert "Status: New → Closed without contact. Reason: Klant wil niet gebeld worden" in _html(
        client, f"/followups/{case.pk}/"
    )


def test_routing_deadlines_and_root_causes_are_dutch(client, dutch_admin):
    RoutingRuleFactory(name="Criticasters", categories=["detractor"], target=RoutingRule.Target.TEAM_QUEUE)
    client.force_login(dutch_admin)
    rules = _html(client, "/routing/")
    assert "Routeringsregels" in rules and "Nieuwe regel" in rules and "Actief · uitschakelen" in rules
    assert "Routing rules" not in rules and "New rule" not in rules
    tested = _html(client, "/routing/test/?score=3")
    assert "Routering testen" in tested and "categorie is een van criticaster" in tested and "past" in tested
    assert "category is one of" not in tested and "does not match" not in tested
    form = _html(client, "/routing/new/")
    assert "Nieuwe routeringsregel" in form and "Gaat naar" in form and "Om de beurt binnen een team" in form
    assert "Round-robin within a team" not in form
    deadlines = _html(client, "/routing/sla/")
    assert "Deadlines voor opvolging" in deadlines and "Alleen kantooruren" in deadlines and "Criticaster" in deadlines
    assert "Business hours only" not in deadlines
    causes = _html(client, "/followups/tags/")
    assert "Hoofdoorzaak toevoegen" in causes and "Add a root cause" not in causes


def test_a_bad_routing_rule_is_refused_in_dutch(client, dutch_admin):
    client.force_login(dutch_admin)
    response = client.post("/routing/new/", {"name": "Kapot", "target": "user", "score_min": 8, "score_max": 3})
    assert response.status_code == 400
    html = response.content.decode()
    assert "De hoogste score kan niet lager zijn dan de laagste." in html
    assert "Kies de gebruiker die deze zaken krijgt." in html
    assert "cannot be below" not in html


def test_improvements_are_dutch(client, dutch_admin):
    improvement = Improvement.objects.create(title="Kortere wachttijd")
    client.force_login(dutch_admin)
    listing = _html(client, "/improvements/")
    assert "Dankzij uw feedback" in listing and "Gepland" in listing and "Klanten die erom vroegen" in listing
    assert "You said, we did" not in listing and "Customers who asked" not in listing
    detail = _html(client, f"/improvements/{improvement.pk}/")
    assert "Wat er veranderd is" in detail and "Markeren als opgeleverd…" in detail
    assert "What changed" not in detail
    response = client.post(f"/improvements/{improvement.pk}/status/", {"status": "dropped"}, follow=True)
    assert "Voor het laten vallen van een verbetering is een reden nodig." in response.content.decode()


def test_the_export_speaks_the_readers_language(client, dutch_admin):
    _answers()
    client.force_login(dutch_admin)
    rows = list(
        csv.reader(io.StringIO(b"".join(client.get("/dashboard/export.csv").streaming_content).decode("utf-8-sig")))
    )
    assert rows[0][:3] == ["ingevuld_op", "campagne", "soort"] and "opmerking" in rows[0]
    breakdown = client.get("/dashboard/breakdown.csv?by=touchpoint").content.decode("utf-8-sig").splitlines()
    assert breakdown[0].startswith("contactmoment,n,promotors,passieven,criticasters,nps,marge,te_weinig")
    assert breakdown[1].endswith(",ja")  # four answers: too few


# --- E-mails to staff ----------------------------------------------------------------------------
def test_a_dutch_owner_gets_the_assignment_email_in_dutch(db, team_a):
    owner = prefers(UserFactory(username="noor-eigenaar", role="agent"), "nl")
    RoutingRuleFactory(target=RoutingRule.Target.ACCOUNT_OWNER, team=team_a)
    case = response_process(
        response_id=ResponseFactory(
            score=1, comment="Kapot", contact=ContactFactory(name="Jan", account_owner=owner)
        ).pk
    ).followup
    notify_owner(case.pk)
    [message] = mail.outbox
    assert message.to == [owner.email]
    assert message.subject == "Nieuwe zaak: Jan gaf een 1"
    assert "Deze klant moet worden teruggebeld." in message.body and "Deadline:" in message.body
    with translation.override("nl"):
        assert date_format(timezone.localtime(case.due_at), "DATETIME_FORMAT") in message.body
    html = message.alternatives[0][0]
    assert "Open de zaak" in html and "Criticaster" in html
    assert "A customer needs a call back" not in message.body + html and "Open the case" not in html


def test_escalations_reach_each_recipient_in_their_own_language(db, team_a, admin):
    dutch_lead = prefers(UserFactory(username="lotte-leider", role="agent"), "nl")
    team_a.lead = dutch_lead
    team_a.save()
    with freeze_time("2026-11-02 10:00"):
        case = FollowUpFactory(team=team_a, due_at=timezone.now() + timedelta(hours=48))
    with freeze_time("2026-11-04 11:00"):
        assert escalate_overdue() == 1
    with freeze_time("2026-11-06 11:00"):
        assert escalate_overdue() == 1
    to_lead, to_admin = mail.outbox
    assert to_lead.to == [dutch_lead.email] and to_admin.to == [admin.email]
    assert to_lead.subject == "1 te late zaak wacht op u"
    due = timezone.localtime(case.due_at)
    with translation.override("nl"):
        assert f"#{case.pk} · escalatieniveau 1, deadline {date_format(due, 'DATETIME_FORMAT')}" in to_lead.body
    assert "november" in to_lead.body and "Open de zaak" in to_lead.body and "escalation level" not in to_lead.body
    assert to_admin.subject == "1 overdue follow-up needs you"
    with translation.override("en"):
        assert f"#{case.pk} · escalation level 2, due {date_format(due, 'DATETIME_FORMAT')}" in to_admin.body
    # The case history names the escalation in the reader's language, not the recipient's.
    line = case.events.get(data__level=1)
    assert line.text == "Overdue: escalated to lotte-leider (level 1)."
