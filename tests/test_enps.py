"""Employee NPS (#25.5): campaigns of kind "employee" ask employees, anonymously; eNPS is reported
apart from customer NPS on its own page and never mixed into a customer report, export or API
answer; no group under the minimum (5, raised by an admin, never lowered) is ever shown, comments
only of large enough groups, and no case unless the employee asks to be contacted."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from followups.models import FollowUp
from followups.processing import response_process
from scoring import enps
from scoring.models import CompanySettings
from surveys import wording
from surveys.models import Campaign, Response
from surveys.nps import category_for
from tests.api_fixtures import api, api_as, token_for  # noqa: F401
from tests.factories import CampaignFactory, ContactFactory, InvitationFactory, ResponseFactory, TeamFactory


def employees(campaign, scores, *, comment="", days_ago=3, **fields):
    """One answer per score, each by an employee of their own, `days_ago` days ago."""
    when = timezone.now() - timedelta(days=days_ago)
    return [
        ResponseFactory(
            campaign=campaign,
            contact=ContactFactory(name=f"Employee {i} {campaign.pk}", email=f"e{i}-{campaign.pk}@staff.example"),
            score=score,
            comment=comment and f"{comment} {i}",
            submitted_at=when,
            **fields,
        )
        for i, score in enumerate(scores)
    ]


@pytest.fixture
def people(db):
    """Sales: 6 employees; Support: 4 (under the minimum of 5); a customer campaign beside them."""
    sales, support = TeamFactory(name="Sales"), TeamFactory(name="Support team")
    sales_survey = CampaignFactory(kind="employee", team=sales, touchpoint=None, name="Sales eNPS")
    support_survey = CampaignFactory(kind="employee", team=support, touchpoint=None, name="Support eNPS")
    employees(sales_survey, [10, 10, 9, 9, 3, 2], comment="Great colleagues")
    employees(support_survey, [0, 1, 2, 10], comment="Overtime again")
    customer = ResponseFactory(campaign=CampaignFactory(kind="relational"), score=9, comment="Nice shop")
    return {"sales": sales, "support": support, "customer": customer}


def test_an_employee_campaign_asks_the_enps_question_in_both_languages(db):
    campaign = CampaignFactory(kind="employee", touchpoint=None)
    assert (
        wording.nps_question(campaign) == "How likely are you to recommend working at Acme to a friend or acquaintance?"
    )
    with translation.override("nl"):
        assert "als werkgever" in wording.nps_question(campaign)


def test_the_enps_page_shows_groups_of_the_minimum_only(client, admin, people):
    client.force_login(admin)
    page = client.get("/dashboard/enps/?period=90d")
    html = page.content.decode()
    assert page.context["whole"].n == 10  # both teams together
    by_team = {row["label"]: row for row in page.context["by_team"]}
    assert by_team["Support team"]["hidden"] and by_team["Support team"]["result"] is None
    # Sales alone would give Support away (the whole minus Sales): it is hidden too.
    assert by_team["Sales"]["hidden"] and by_team["Sales"]["result"] is None
    assert "too few answers to show" in html
    assert "Employee 0" not in html and "e0-" not in html  # no per-person view
    assert "Great colleagues 0" in html  # 10 answers: comments shown, without names
    support_only = client.get(f"/dashboard/enps/?period=90d&team={people['support'].pk}")
    assert support_only.context["whole"] is None and support_only.context["comments"] == []
    assert "Overtime again" not in support_only.content.decode()
    sales_only = client.get(f"/dashboard/enps/?period=90d&team={people['sales'].pk}").context
    assert sales_only["whole"].n == 6 and sales_only["comments"] == []  # 6 < 10: no comments


def test_a_third_team_large_enough_lets_the_others_show(client, admin, people):
    engineering = CampaignFactory(kind="employee", team=TeamFactory(name="Engineering"), touchpoint=None)
    employees(engineering, [9, 9, 9, 9, 9])
    client.force_login(admin)
    rows = {row["label"]: row for row in client.get("/dashboard/enps/?period=90d").context["by_team"]}
    # Support (4) is hidden; the hidden part would be 4 < 5, so the smallest shown (Engineering, 5) goes too.
    assert rows["Support team"]["hidden"] and rows["Engineering"]["hidden"]
    assert not rows["Sales"]["hidden"] and rows["Sales"]["result"].n == 6


def test_admins_raise_the_minimum_and_can_never_lower_it_below_five(client, admin, agent, people):
    client.force_login(admin)
    client.post("/dashboard/enps/settings/", {"min_group": "11", "comment_min": "11"})
    assert enps.thresholds() == enps.Thresholds(11, 11)
    assert client.get("/dashboard/enps/?period=90d").context["whole"] is None  # 10 < 11
    response = client.post("/dashboard/enps/settings/", {"min_group": "3", "comment_min": "3"}, follow=True)
    assert "never smaller than 5 answers" in response.content.decode()
    assert enps.thresholds().min_group == 11
    with pytest.raises(ValidationError):
        enps.thresholds_set(actor=admin, min_group=4, comment_min=10)
    with pytest.raises(IntegrityError), transaction.atomic():  # and the database refuses it too
        CompanySettings.objects.filter(pk=1).update(enps_min_group=4)
    client.force_login(agent)
    assert client.post("/dashboard/enps/settings/", {"min_group": "5", "comment_min": "5"}).status_code == 403


def test_viewers_get_figures_without_comments(client, viewer, people):
    client.force_login(viewer)
    page = client.get("/dashboard/enps/?period=90d")
    assert page.context["whole"].n == 10 and page.context["comments"] == []


def test_customer_reports_exports_and_the_api_never_hold_employee_answers(client, admin, api, people):  # noqa: F811
    client.force_login(admin)
    dashboard = client.get("/dashboard/?kind=all&period=30d")
    assert dashboard.context["summary"].current.n == 1  # the customer's answer only
    assert "Great colleagues" not in dashboard.content.decode()
    assert 'value="employee"' not in dashboard.content.decode()  # no eNPS among the survey types
    refused = client.get("/dashboard/?kind=employee")
    assert refused.context["filters"].kind == "relational" and "Great colleagues" not in refused.content.decode()
    export = client.get("/dashboard/export.csv?kind=all&period=30d")
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 2 and "Employee" not in str(rows)
    breakdown = client.get("/dashboard/breakdown.csv?kind=employee&by=team&period=30d").content.decode()
    assert "Support team" not in breakdown and "Sales" not in breakdown
    comments = client.get("/dashboard/comments/?kind=all&period=30d").content.decode()
    assert "Overtime again" not in comments and "Nice shop" in comments

    listed = api.get("/api/responses/").json()["results"]
    assert [r["id"] for r in listed] == [people["customer"].pk]
    employee_answer = Response.objects.filter(kind="employee").first()
    assert api.get(f"/api/responses/{employee_answer.pk}/").status_code == 404
    assert api.get("/api/responses/?kind=employee").status_code == 400
    summary = api.get("/api/nps/summary/?kind=all&period=30d").json()
    assert summary["current"]["n"] == 1
    assert api.get("/api/nps/summary/?kind=employee").status_code == 400


def test_no_case_unless_the_employee_asks_to_be_contacted(client, db, team_a):
    campaign = CampaignFactory(kind="employee", team=team_a, touchpoint=None)
    invitation = InvitationFactory(campaign=campaign, contact=ContactFactory())
    client.post(f"/s/{invitation.token}/", {"score": "2"})
    answer = Response.objects.get(invitation=invitation)
    assert answer.category == category_for(2) and not answer.may_contact
    response_process(response_id=answer.pk)
    assert not FollowUp.objects.exists()  # a detractor, yet anonymous: no case
    details = client.get(f"/s/{invitation.token}/why/")
    assert 'id="may-contact"' in details.content.decode()
    client.post(f"/s/{invitation.token}/why/", {"comment": "Too much overtime", "may_contact": "1"})
    answer.refresh_from_db()
    assert answer.may_contact
    response_process(response_id=answer.pk)
    assert FollowUp.objects.get().response == answer  # they asked: now someone calls


def test_a_customer_survey_offers_no_contact_box(client, db):
    invitation = InvitationFactory(campaign=CampaignFactory(kind="relational"))
    client.post(f"/s/{invitation.token}/", {"score": "2"})
    assert 'id="may-contact"' not in client.get(f"/s/{invitation.token}/why/").content.decode()


def test_the_kinds_stay_apart_in_every_count(people):
    assert set(Campaign.Kind.values) == {"relational", "transactional", "employee"}
    from scoring.filters import Filters, responses

    today = timezone.localdate()
    mixed = Filters(start=today - timedelta(days=30), end=today, kind="all")
    assert list(responses(mixed).values_list("kind", flat=True)) == ["relational"]
