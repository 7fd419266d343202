"""The dashboard and its pages: every role from viewer up, every filter, htmx partials, the query
budget, empty states, comments, customer history, targets and the follow-up panel."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from core.models import AuditLog
from scoring.models import CompanySettings
from tests.factories import (
    AnswerFactory,
    CampaignFactory,
    ContactFactory,
    FollowUpFactory,
    InvitationFactory,
    QuestionFactory,
    ResponseFactory,
    TeamFactory,
    TouchpointFactory,
)


@pytest.fixture
def data(db):
    """Support (team Care): 10, 10, 9, 7, 3 → +40. Billing (team Money): 2, 5, 9 → −33. One relational
    10, and a 0 from 200 days ago that the default 90 days leave out."""
    care, money = TeamFactory(name="Care"), TeamFactory(name="Money")
    support = CampaignFactory(kind="transactional", touchpoint=TouchpointFactory(name="Support"), team=care)
    billing = CampaignFactory(kind="transactional", touchpoint=TouchpointFactory(name="Billing"), team=money)
    relational = CampaignFactory(kind="relational", touchpoint=TouchpointFactory(name="Renewal"))
    pro, starter = ContactFactory(attributes={"plan": "pro"}), ContactFactory(attributes={"plan": "starter"})
    now = timezone.now()
    for score, contact in ((10, pro), (10, pro), (9, starter), (7, starter), (3, starter)):
        ResponseFactory(
            campaign=support,
            score=score,
            contact=contact,
            submitted_at=now - timedelta(days=3),
            comment=f"Support said {score}",
        )
    for score in (2, 5, 9):
        ResponseFactory(
            campaign=billing,
            score=score,
            contact=pro,
            submitted_at=now - timedelta(days=10),
            comment=f"Billing said {score}",
        )
    ResponseFactory(campaign=relational, score=10, submitted_at=now - timedelta(days=1))
    ResponseFactory(campaign=support, score=0, submitted_at=now - timedelta(days=200))
    return {"support": support, "billing": billing, "care": care, "money": money, "pro": pro}


@pytest.mark.parametrize("persona", ["viewer", "admin"])  # an agent's figures are their teams' (test_permissions)
def test_it_renders_for_every_role_from_viewer_up(client, personas, data, persona):
    client.force_login(personas[persona])
    response = client.get("/dashboard/?kind=transactional")
    assert response.status_code == 200
    assert response.context["summary"].current.n == 8
    html = response.content.decode()
    assert 'data-testid="headline-nps">+13<' in html and "n = 8" in html
    assert "trend-chart" in html and "distribution-chart" in html


def test_outsiders_and_anonymous_users_are_kept_out(client, outsider):
    assert client.get("/dashboard/").status_code == 302
    client.force_login(outsider)
    assert client.get("/dashboard/").status_code == 403


def test_it_defaults_to_relational_and_never_mixes_silently(client, viewer, data):
    client.force_login(viewer)
    response = client.get("/dashboard/")
    assert response.context["filters"].kind == "relational" and response.context["summary"].current.n == 1
    html = client.get("/dashboard/?kind=all").content.decode()
    assert "relational and transactional mixed" in html


@pytest.mark.parametrize(
    "params",
    [
        "period=30d",
        "period=90d",
        "period=365d",
        "period=custom&start=2026-01-01&end=2026-02-01",
        "campaign=1",
        "touchpoint=1",
        "team=1",
        "channel=web",
        "language=nl",
        "segment=plan=pro",
        "segment=tier=gold",
        "kind=relational",
        "kind=transactional",
        "kind=all",
        "category=detractor",
        "q=slow",
        "by=region",
        "by=tier&segment=plan=pro",
        "sort=nps",
        "sort=-n",
        "sort=-name",
        # Bad values: ignored with a message, never a 500.
        "period=nonsense",
        "campaign=abc",
        "team=-1",
        "touchpoint=99999999999999999999999",
        "segment=%27;drop",
        "segment=plan",
        "period=custom&start=2026-13-45&end=x",
        "period=custom&start=2026-03-01&end=2020-01-01",
        "kind=both",
        "channel=fax",
        "by=%3Cscript%3E",
        "by=%00",
        "segment=%3Cscript%3E=%3Cscript%3E",
        "sort=evil",
        "category=angry",
        "q=" + "x" * 5000,
    ],
)
def test_each_filter_renders_and_bad_values_never_500(client, viewer, data, params):
    client.force_login(viewer)
    response = client.get(f"/dashboard/?{params}")
    assert response.status_code == 200
    assert "<script>" not in response.content.decode()  # nothing from the URL is echoed unescaped


def test_a_bad_value_is_reported_on_the_page(client, viewer, data):
    client.force_login(viewer)
    html = client.get("/dashboard/?campaign=abc&by=%01").content.decode()
    assert "Ignored an invalid campaign." in html and "Ignored an invalid segment attribute" in html


def test_the_filters_cut_the_panels(client, viewer, data):
    client.force_login(viewer)
    response = client.get(f"/dashboard/?kind=transactional&team={data['money'].pk}")
    assert response.context["summary"].current.n == 3
    assert [row["label"] for row in response.context["by_touchpoint"]] == ["Billing"]
    response = client.get("/dashboard/?kind=transactional&segment=plan=starter&by=plan")
    assert [(row["label"], row["result"].n) for row in response.context["by_segment"]] == [("starter", 3)]
    assert response.context["distribution"] == [0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0]


def test_breakdowns_sort_on_the_server(client, viewer, data):
    client.force_login(viewer)
    rows = client.get("/dashboard/?kind=transactional&sort=nps").context["by_touchpoint"]
    assert [r["label"] for r in rows] == ["Billing", "Support"]
    rows = client.get("/dashboard/?kind=transactional&sort=-nps").context["by_touchpoint"]
    assert [r["label"] for r in rows] == ["Support", "Billing"]
    rows = client.get("/dashboard/?kind=transactional&sort=-n").context["by_team"]
    assert [(r["label"], r["result"].n) for r in rows] == [("Care", 5), ("Money", 3)]


def test_breakdown_rows_link_to_the_filtered_comments(client, admin, data):
    client.force_login(admin)
    html = client.get("/dashboard/?kind=transactional&by=plan").content.decode()
    assert f"/dashboard/comments/?period=90d&amp;kind=transactional&amp;team={data['care'].pk}" in html
    assert "/dashboard/comments/?period=90d&amp;kind=transactional&amp;segment=plan%3Dpro" in html
    comments = client.get("/dashboard/comments/?period=90d&kind=transactional&segment=plan=pro")
    assert {r.comment for r in comments.context["page"]} == {
        "Support said 10",
        "Billing said 2",
        "Billing said 5",
        "Billing said 9",
    }


def test_htmx_gets_the_body_only_with_the_url_pushed(client, viewer, data):
    client.force_login(viewer)
    response = client.get("/dashboard/?kind=transactional&period=30d", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html and 'id="trend-data"' in html
    assert 'id="f-start"' in html and "hx-swap-oob" in html  # the form's dates follow the period
    page = client.get("/dashboard/?kind=transactional&period=30d").content.decode()
    assert 'hx-push-url="true"' in page and 'hx-get="/dashboard/"' in page


def test_the_trend_carries_the_margin_and_the_bucket(client, viewer, data):
    client.force_login(viewer)
    context = client.get("/dashboard/?kind=transactional&period=30d").context
    assert context["bucket"] == "week"  # 8 answers are too few for a point a day
    assert sum(point["n"] for point in context["trend_data"]) == 8 and all(p["too_few"] for p in context["trend_data"])
    context = client.get("/dashboard/?kind=transactional&period=30d&bucket=day").context
    assert context["bucket"] == "day" and len(context["trend_data"]) == 2
    assert all(point["margin"] > 0 for point in context["trend_data"])


def test_the_query_count_does_not_grow_with_the_data(client, viewer, data):
    client.force_login(viewer)
    question = QuestionFactory(campaign=data["support"], kind="single", choices=["a", "b"])

    def grow(count):
        for i in range(count):
            response = ResponseFactory(
                campaign=data["support"],
                score=i % 11,
                comment=f"c{i}",
                contact=ContactFactory(attributes={"plan": f"p{i % 3}"}),
                submitted_at=timezone.now() - timedelta(days=i % 80),
            )
            AnswerFactory(response=response, question=question, text="ab"[i % 2])
            InvitationFactory(campaign=data["support"], status="answered", sent_at=response.submitted_at)

    def count_queries():
        executed = []
        with connection.execute_wrapper(lambda execute, sql, *args: executed.append(sql) or execute(sql, *args)):
            response = client.get("/dashboard/?kind=transactional")
        return len(executed), response

    grow(10)
    client.get("/dashboard/?kind=transactional")  # the rollups catch up
    few, _ = count_queries()
    grow(200)
    client.get("/dashboard/?kind=transactional")
    many, response = count_queries()
    assert response.context["summary"].current.n == 218
    assert many <= few <= 40


def test_an_empty_dashboard_says_so(client, admin, db):
    client.force_login(admin)
    html = client.get("/dashboard/").content.decode()
    assert 'data-testid="empty-state"' in html and "No answers match" in html
    assert "Nobody's score dropped" in html and "No driver questions answered" in html


def test_the_drivers_panel_shows_which_answer_pulls_the_score_down(client, viewer, data):
    question = QuestionFactory(campaign=data["support"], kind="csat", text="Were you helped?")
    recent = data["support"].responses.filter(submitted_at__gte=timezone.now() - timedelta(days=30))
    for response, number in zip(recent.order_by("score"), (1, 3, 4, 5, 5)):
        AnswerFactory(response=response, question=question, number=number)
    client.force_login(viewer)
    response = client.get("/dashboard/?kind=transactional")
    panel = response.context["drivers"][0]
    assert panel["pulls_down"] == "1" and panel["average"] == pytest.approx(18 / 5)
    assert "Were you helped?" in response.content.decode()


def test_praise_and_complaints_sit_side_by_side_escaped(client, admin, data):
    ResponseFactory(campaign=data["support"], score=1, comment="<img src=x onerror=alert(1)> slow")
    client.force_login(admin)
    response = client.get("/dashboard/?kind=transactional")
    assert [r.score for r in response.context["praise"]][:1] in ([10], [9])
    assert response.context["complaints"][0].comment.startswith("<img")
    html = response.content.decode()
    assert "What promoters praise" in html and "What detractors complain about" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img src=x" not in html


def test_the_comment_list_is_searchable_paginated_and_escaped(client, admin, data):
    for i in range(30):
        ResponseFactory(campaign=data["support"], score=1, comment=f"<b>slow</b> number {i}")
    client.force_login(admin)
    response = client.get("/dashboard/comments/?kind=transactional&q=slow")
    assert response.context["page"].paginator.count == 30 and len(response.context["page"]) == 25
    html = response.content.decode()
    assert "&lt;b&gt;slow&lt;/b&gt;" in html and "<b>slow</b>" not in html
    assert client.get("/dashboard/comments/?kind=transactional&q=slow&page=2").context["page"].number == 2
    assert client.get("/dashboard/comments/?kind=transactional&q=slow&page=abc").status_code == 200
    partial = client.get("/dashboard/comments/?kind=transactional&category=detractor", HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode()


def test_only_admins_get_links_to_the_contact_page(client, admin, viewer, data):
    client.force_login(viewer)
    assert f"/contacts/{data['pro'].pk}/" not in client.get("/dashboard/comments/?kind=transactional").content.decode()
    client.force_login(admin)
    assert f"/contacts/{data['pro'].pk}/" in client.get("/dashboard/comments/?kind=transactional").content.decode()


def test_the_at_risk_panel_names_the_customer(client, admin, data):
    contact = ContactFactory(name="Dropping Dora")
    ResponseFactory(
        campaign=data["support"], contact=contact, score=10, submitted_at=timezone.now() - timedelta(days=60)
    )
    ResponseFactory(campaign=data["support"], contact=contact, score=6, submitted_at=timezone.now() - timedelta(days=2))
    client.force_login(admin)
    response = client.get("/dashboard/?kind=transactional")
    assert [r.response.contact.name for r in response.context["at_risk"]][0] == "Dropping Dora"  # newest first
    assert "Dropping Dora" in response.content.decode()


def test_the_contact_history_partial_draws_the_scores(client, admin, data):
    client.force_login(admin)
    response = client.get(f"/dashboard/contacts/{data['pro'].pk}/history/")
    html = response.content.decode()
    assert response.status_code == 200 and "<svg" in html and "<polyline" in html
    assert [r.score for r in response.context["history"]] == [2, 5, 9, 10, 10]
    assert client.get("/dashboard/contacts/999999/history/").status_code == 404


def test_targets_show_progress_for_the_company_and_each_team(client, admin, viewer, data):
    data["care"].nps_target = 30
    data["care"].save()
    data["money"].nps_target = 20
    data["money"].save()
    CompanySettings.objects.create(pk=1, nps_target=10)
    client.force_login(viewer)
    html = client.get("/dashboard/?kind=transactional").content.decode()
    assert "Company: <strong>+13</strong> of target +10" in html
    assert "Care: <strong>+40</strong> of target +30" in html and "Money: <strong>−33</strong> of target +20" in html
    html = client.get("/dashboard/?kind=relational").content.decode()
    assert "Care: no answers of target +30" in html


def test_admins_set_the_company_target(client, admin, viewer, db):
    client.force_login(viewer)
    assert client.get("/dashboard/targets/").status_code == 403
    client.force_login(admin)
    assert client.get("/dashboard/targets/").status_code == 200
    assert client.post("/dashboard/targets/", {"nps_target": "35"}).status_code == 302
    assert CompanySettings.objects.get().nps_target == 35
    assert AuditLog.objects.filter(action="target.company", actor=admin).exists()
    assert client.post("/dashboard/targets/", {"nps_target": "250"}).status_code == 400
    assert client.post("/dashboard/targets/", {"nps_target": "ten"}).status_code == 400
    assert CompanySettings.objects.get().nps_target == 35
    client.post("/dashboard/targets/", {"nps_target": ""})
    assert CompanySettings.objects.get().nps_target is None


def test_the_follow_up_panel_loads_after_the_page(client, viewer, data):
    FollowUpFactory(response__campaign=data["support"], team=data["care"], due_at=timezone.now() - timedelta(hours=1))
    client.force_login(viewer)
    html = client.get("/dashboard/?kind=transactional").content.decode()
    assert 'hx-get="/dashboard/followups/?period=90d&amp;kind=transactional"' in html
    panel = client.get("/dashboard/followups/?kind=transactional")
    assert panel.status_code == 200
    assert panel.context["sla"]["overall"]["overdue"] == 1 and "Care" in panel.content.decode()


def test_the_drivers_panel_says_what_costs_most_means_share_times_gap(client, viewer, db):
    """#19.21: answers 1 and 2 score −100 but are rare; answer 3 scores lower than the question's NPS
    for many people. The page shows each answer's share and impact (share × gap) and explains the mark."""
    campaign = CampaignFactory(kind="transactional")
    question = QuestionFactory(campaign=campaign, kind="csat", text="Were you helped?")
    now = timezone.now()
    scores = [(1, 2), (2, 3)] + [(3, s) for s in (1, 2, 3, 4, 5, 9, 9, 10, 6, 6)] + [(5, 10)] * 10
    for number, score in scores:
        response = ResponseFactory(campaign=campaign, score=score, submitted_at=now - timedelta(days=1))
        AnswerFactory(response=response, question=question, number=number)
    client.force_login(viewer)
    response = client.get("/dashboard/?kind=transactional&period=30d")
    panel = response.context["drivers"][0]
    by_label = {a["label"]: a for a in panel["answers"]}
    assert by_label["1"]["result"].nps == -100 and by_label["3"]["result"].nps > -100
    assert panel["pulls_down"] == "3"
    assert by_label["3"]["impact"] < by_label["1"]["impact"] < 0
    assert by_label["1"]["share"] == pytest.approx(1 / 22)
    html = response.content.decode()
    assert "Impact = share × gap" in html and "costs most" in html
