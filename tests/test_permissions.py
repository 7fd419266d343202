"""Every staff URL × every role: anonymous users go to login, the wrong role gets 403.

URLs are discovered from the URLconf. A view is either decorated with core.roles.role_required
(its `required_role` is read) or listed in PUBLIC below; a new view that is neither fails here.
URLs with parameters are checked by the tests of their own app (with objects to point at).
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from core.roles import has_role

# Views anyone may open, by URL name.
PUBLIC = {
    "login",
    "login_verify",
    "sso_login",
    "sso_callback",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "twofactor",
    "twofactor_recovery_codes",
    "twofactor_disable",
    "passkey_remove",
    # Passkey ceremonies (django-otp-webauthn; accounts/passkeys.py): JSON for its script, CSRF-checked.
    "credential-registration-begin",
    "credential-registration-complete",
    "credential-authentication-begin",
    "credential-authentication-complete",
    "js-i18n-catalog",
    "healthz",
    "favicon",
    "password_change",
    "password_change_done",
    "profile",
    "home",
    # The SMS provider's callbacks, authenticated by the provider's request signature (surveys/sms_views.py).
    "sms_status",
    "sms_inbound",
    # The website widget's script and JSON endpoints, called from customers' sites: authorised by the
    # campaign's public key, its allowed origins (CORS) and the HMAC-signed user id, never by a cookie.
    "widget_script",
    "widget_config",
    "widget_ask",
    "widget_answer",
    "widget_details",
    "widget_dismiss",
    # Respondent-facing pages, authenticated by their unguessable token.
    "survey_answer",
    "survey_details",
    "survey_thanks",
    "survey_anonymous",
    "unsubscribe",
    "review_click",
    "report_unsubscribe",  # a staff member's scheduled report: authorised by its signed token
    "anymail_webhook",
    "improvement_resurvey",
    # The public "you said, we did" page, its embeddable list and feeds: published improvements only.
    "public_improvements",
    "public_improvements_embed",
    "public_improvements_rss",
    "public_improvements_atom",
}
LOGIN_ONLY = {
    "password_change",
    "password_change_done",
    "profile",
    "home",
    "twofactor",
    "twofactor_recovery_codes",
    "twofactor_disable",
    "passkey_remove",
}


def _patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if getattr(entry, "namespace", None) == "admin" or str(entry.pattern).startswith(
                ("django-admin", "anymail")
            ):
                continue
            yield from _patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def staff_urls():
    rows = []
    for route, entry in _patterns():
        role = getattr(entry.callback, "required_role", None)
        if role and "<" not in route:
            rows.append(("/" + route, role))
    return rows


def test_every_view_is_either_role_protected_or_explicitly_public():
    unprotected = []
    for route, entry in _patterns():
        if getattr(entry.callback, "required_role", None):
            continue
        if entry.name in PUBLIC or route.startswith(("static/", "api/", "anymail/")):
            continue
        unprotected.append(route)
    assert unprotected == []


@pytest.mark.parametrize("persona", ["anonymous", "admin", "agent", "agent_b", "viewer", "outsider"])
def test_role_by_url_matrix(client, personas, persona):
    urls = staff_urls()
    assert urls, "no staff URLs discovered"
    user = personas.get(persona)
    if user is not None:
        client.force_login(user)
    for url, role in urls:
        response = client.get(url)
        if user is None:
            assert response.status_code == 302 and "/login/" in response["Location"], url
        elif has_role(user, role):
            assert response.status_code in (200, 302, 405), (url, persona, response.status_code)
        else:
            assert response.status_code == 403, (url, persona, response.status_code)


def test_anonymous_user_is_sent_to_login_for_the_start_page(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_outsider_sees_no_staff_navigation(client, outsider):
    client.force_login(outsider)
    response = client.get("/", follow=True)
    assert response.status_code == 200
    assert response.context["nav_items"] == []


def test_only_token_authorised_public_pages_skip_the_csrf_check():
    # The REST API (api/) is exempt as DRF makes it: it ignores session cookies and accepts only a
    # bearer token (tests/test_api_auth.py checks a logged-in session gets 401 there). The others
    # are authorised by the unguessable token in their URL, never by a cookie (surveys/public_views.py),
    # by the SMS provider's request signature, or by the widget's signed user id from another origin.
    exempt = sorted(
        entry.name
        for _route, entry in _patterns()
        if getattr(entry.callback, "csrf_exempt", False) and not _route.startswith(("anymail/", "api/"))
    )
    assert exempt == [
        "report_unsubscribe",
        "sms_inbound",
        "sms_status",
        "survey_answer",
        "survey_details",
        "unsubscribe",
        "widget_answer",
        "widget_ask",
        "widget_config",
        "widget_details",
        "widget_dismiss",
    ]


# --- Seeing only what you may (#20.5-7) ---------------------------------------------------------
# admin: everything; agent (and team lead): their own teams' answers, comments and cases; viewer:
# company-wide figures without personal data; answer exports (names, e-mail addresses): admins only.
@pytest.fixture
def two_teams(db, team_a, team_b):
    from tests.factories import CampaignFactory, ContactFactory, FollowUpFactory, ResponseFactory

    ann = ContactFactory(name="Ann Ateam", email="ann.ateam@example.com")
    bob = ContactFactory(name="Bob Bteam", email="bob.bteam@example.com")
    answer_a = ResponseFactory(
        campaign=CampaignFactory(team=team_a), contact=ann, score=2, comment="Team A was rude to me"
    )
    answer_b = ResponseFactory(
        campaign=CampaignFactory(team=team_b), contact=bob, score=1, comment="Team B lost my parcel"
    )
    # Bob also answered a team A survey: team A's case shows its answer, not team B's.
    bob_a = ResponseFactory(campaign=CampaignFactory(team=team_a), contact=bob, score=3, comment="Meh")
    return {
        "a": answer_a,
        "b": answer_b,
        "case_a": FollowUpFactory(response=answer_a, team=team_a),
        "case_b": FollowUpFactory(response=answer_b, team=team_b),
        "case_bob_a": FollowUpFactory(response=bob_a, team=team_a),
    }


SEES = {  # persona -> (comments of team A, of team B) on the comments page and the dashboard
    "admin": (True, True),
    "agent": (True, False),
    "agent_b": (False, True),
    "viewer": (False, False),
}


@pytest.mark.parametrize("persona", list(SEES))
def test_comments_and_customers_are_scoped_by_team_and_role(client, personas, two_teams, persona):
    client.force_login(personas[persona])
    sees_a, sees_b = SEES[persona]
    dashboard = client.get("/dashboard/?kind=all").content.decode()
    assert ("Team A was rude" in dashboard) is sees_a
    assert ("Team B lost my parcel" in dashboard) is sees_b
    comments = client.get("/dashboard/comments/?kind=all")
    if persona == "viewer":
        assert comments.status_code == 403
    else:
        html = comments.content.decode()
        assert ("Team A was rude" in html) is sees_a and ("Team B lost my parcel" in html) is sees_b


@pytest.mark.parametrize("persona,answers", [("admin", 3), ("viewer", 3), ("agent", 2), ("agent_b", 1)])
def test_figures_are_company_wide_for_viewers_and_own_team_for_agents(client, personas, two_teams, persona, answers):
    client.force_login(personas[persona])
    response = client.get("/dashboard/?kind=all")
    assert response.context["summary"].current.n == answers
    breakdown = client.get("/dashboard/breakdown.csv?kind=all&by=team").content.decode()
    assert ("Team B" in breakdown) is (persona in ("admin", "viewer", "agent_b"))


@pytest.mark.parametrize("persona", ["admin", "agent", "agent_b", "viewer"])
def test_answer_exports_with_personal_data_are_for_admins_only(client, personas, two_teams, persona):
    client.force_login(personas[persona])
    for url in ("/dashboard/export.csv?kind=all", "/dashboard/export.xlsx?kind=all"):
        response = client.get(url)
        if persona == "admin":
            assert response.status_code == 200, url
        else:
            assert response.status_code == 403, url
            assert b"ateam@example.com" not in response.content
    dashboard = client.get("/dashboard/?kind=all").content.decode()
    assert ("export.csv" in dashboard) is (persona == "admin")


def test_an_agent_cannot_link_or_unlink_another_teams_answer(client, agent, two_teams):
    from followups.models import Improvement, ImprovementLink

    improvement = Improvement.objects.create(title="Parcels", status="planned")
    client.force_login(agent)
    client.post("/improvements/link/", {"improvement": improvement.pk, "responses": [two_teams["b"].pk]})
    client.post(f"/improvements/{improvement.pk}/link/", {"responses": [two_teams["b"].pk]})
    assert not improvement.links.exists()
    assert not two_teams["case_b"].events.filter(kind="linked").exists()
    ImprovementLink.objects.create(improvement=improvement, response=two_teams["b"])
    client.post(f"/improvements/{improvement.pk}/unlink/{two_teams['b'].pk}/")
    assert improvement.links.filter(response=two_teams["b"]).exists()
    # Their own team's answer links and unlinks fine.
    client.post("/improvements/link/", {"improvement": improvement.pk, "responses": [two_teams["a"].pk]})
    assert improvement.links.filter(response=two_teams["a"]).exists()
    client.post(f"/improvements/{improvement.pk}/unlink/{two_teams['a'].pk}/")
    assert not improvement.links.filter(response=two_teams["a"]).exists()


def test_the_case_timeline_shows_only_what_the_viewer_may_open_and_counts_the_rest(client, agent, admin, two_teams):
    case = two_teams["case_bob_a"]
    client.force_login(agent)
    page = client.get(f"/followups/{case.pk}/")
    assert page.status_code == 200
    kinds = [(item["kind"], item["obj"].pk) for item in page.context["timeline"]]
    assert ("followup", two_teams["case_b"].pk) not in kinds
    assert ("response", two_teams["b"].pk) not in kinds
    assert page.context["timeline_hidden"] == 2
    assert "Team B lost my parcel" not in page.content.decode()
    assert "2 more answers or cases of other teams" in page.content.decode()
    client.force_login(admin)
    page = client.get(f"/followups/{case.pk}/")
    assert ("followup", two_teams["case_b"].pk) in [(i["kind"], i["obj"].pk) for i in page.context["timeline"]]
    assert page.context["timeline_hidden"] == 0


def test_an_agent_sees_only_their_teams_answers_on_an_improvement(client, agent, admin, two_teams):
    from followups.models import Improvement, ImprovementLink

    improvement = Improvement.objects.create(title="Parcels", status="planned", keywords="rude, parcel")
    ImprovementLink.objects.create(improvement=improvement, response=two_teams["b"])
    client.force_login(agent)
    page = client.get(f"/improvements/{improvement.pk}/")
    assert "Team B lost my parcel" not in page.content.decode()
    assert [r.pk for r in page.context["suggestions"]] == [two_teams["a"].pk]
    client.force_login(admin)
    assert "Team B lost my parcel" in client.get(f"/improvements/{improvement.pk}/").content.decode()
