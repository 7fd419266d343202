"""Bad input never causes a 500, never changes stored data, and is always escaped when shown."""

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from followups.models import FollowUp
from surveys.models import Campaign, Question, Response
from tests.factories import CampaignFactory, ContactFactory, FollowUpFactory, InvitationFactory, ResponseFactory

EVIL = "<script>alert('x')</script>"


@pytest.fixture
def invitation(db):
    campaign = CampaignFactory(status=Campaign.Status.ACTIVE)
    Question.objects.create(campaign=campaign, kind="csat", text="Satisfied?", required=True)
    Question.objects.create(campaign=campaign, kind="single", text="Pick", choices=["A", "B"])
    return InvitationFactory(campaign=campaign)


junk = st.one_of(
    st.text(max_size=300),
    st.integers(-(10**12), 10**12).map(str),
    st.just(""),
    st.sampled_from(["0", "10", "5", "NaN", "1e3", "\x00", "٣", "10 ", " 7", "+3", "0x5", "5.0"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(score=junk, extra=st.dictionaries(st.text(min_size=1, max_size=20), st.text(max_size=50), max_size=4))
def test_the_score_step_survives_any_input(invitation, score, extra):
    response = Client().post(f"/s/{invitation.token}/", {**extra, "score": score})
    assert response.status_code < 500
    stored = Response.objects.filter(invitation=invitation).first()
    if response.status_code == 302:
        assert stored is not None and 0 <= stored.score <= 10
    else:
        assert response.status_code == 400 and (stored is None or stored.score in range(11))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(comment=st.text(max_size=6000), csat=junk, pick=junk)
def test_the_why_step_survives_any_input(invitation, comment, csat, pick):
    client = Client()
    client.post(f"/s/{invitation.token}/", {"score": "4"})
    csat_q, pick_q = invitation.campaign.questions.order_by("id")
    before = Response.objects.get(invitation=invitation).comment
    response = client.post(
        f"/s/{invitation.token}/why/", {"comment": comment, f"q{csat_q.pk}": csat, f"q{pick_q.pk}": pick}
    )
    assert response.status_code in (302, 400)
    if response.status_code == 400:
        assert Response.objects.get(invitation=invitation).comment == before


def test_a_one_megabyte_body_gets_a_4xx_and_changes_nothing(client, invitation):
    client.post(f"/s/{invitation.token}/", {"score": "4"})
    response = client.post(f"/s/{invitation.token}/why/", {"comment": "x" * 1_000_000})
    assert 400 <= response.status_code < 500
    assert Response.objects.get().comment == ""


def test_a_body_over_the_upload_limit_is_refused_with_a_4xx(client, invitation):
    response = client.post(f"/s/{invitation.token}/", {"score": "4", "junk": "y" * 3_000_000})
    assert 400 <= response.status_code < 500
    assert not Response.objects.exists()


@pytest.fixture
def evil_world(db, agent, team_a):
    contact = ContactFactory(name=EVIL, company=EVIL, email="evil@example.com")
    response = ResponseFactory(contact=contact, score=2, comment=EVIL)
    case = FollowUpFactory(response=response, owner=agent, team=team_a)
    return {"contact": contact, "response": response, "case": case}


PAGES = [
    ("admin", lambda w: f"/contacts/{w['contact'].pk}/"),
    ("admin", lambda w: "/contacts/"),
    ("admin", lambda w: f"/routing/test/?response={w['response'].pk}"),
    ("agent", lambda w: f"/followups/{w['case'].pk}/"),
    ("agent", lambda w: "/followups/"),
    ("agent", lambda w: "/followups/queue/"),
    ("admin", lambda w: "/dashboard/?kind=all"),
    ("admin", lambda w: "/dashboard/comments/?kind=all"),
]


@pytest.mark.parametrize("persona,url", PAGES)
def test_names_and_comments_are_escaped_on_every_page_that_shows_them(client, personas, evil_world, persona, url):
    client.force_login(personas[persona])
    response = client.get(url(evil_world))
    assert response.status_code == 200
    html = response.content.decode()
    assert EVIL not in html
    assert "&lt;script&gt;" in html


def test_the_improvement_page_escapes_linked_comments(client, admin, evil_world):
    from followups.improvements import improvement_link
    from followups.models import Improvement

    improvement = Improvement.objects.create(title=EVIL, description_en="x")
    improvement_link(improvement=improvement, response_ids=[evil_world["response"].pk], actor=admin)
    client.force_login(admin)
    for url in (f"/improvements/{improvement.pk}/", "/improvements/", f"/improvements/{improvement.pk}/ship/"):
        html = client.get(url).content.decode()
        assert EVIL not in html, url


@pytest.mark.parametrize(
    "url,data",
    [
        ("/campaigns/new/", {"name": "", "kind": "nope", "quiet_period_days": "-5"}),
        ("/routing/new/", {"name": "x", "target": "???", "score_min": "abc"}),
        ("/routing/sla/", {"detractor-hours": "-1", "passive-hours": "x", "promoter-hours": ""}),
        ("/users/new/", {"username": "", "role": "emperor"}),
        ("/teams/new/", {"name": "", "nps_target": "a lot"}),
        ("/contacts/new/", {"email": "not-an-email", "attributes_text": "=x"}),
        ("/improvements/new/", {"title": ""}),
        ("/dashboard/targets/", {"nps_target": "999"}),
        ("/followups/tags/", {"name": "", "slug": "no spaces allowed"}),
    ],
)
def test_every_staff_form_answers_invalid_values_with_a_400(client, admin, url, data):
    client.force_login(admin)
    response = client.post(url, data)
    assert response.status_code == 400, url
    assert (
        "is-invalid" in response.content.decode()
        or "invalid-feedback" in response.content.decode()
        or "errorlist" in response.content.decode()
    )


def test_case_forms_with_invalid_values_change_nothing(client, agent, team_a):
    case = FollowUpFactory(owner=agent, team=team_a)
    client.force_login(agent)
    for data in (
        {"action": "attempt", "attempt-channel": "pigeon", "attempt-result": "maybe"},
        {"action": "status", "status-status": "exploded"},
        {"action": "reassign", "reassign-owner": "999999"},
        {"action": "nonsense"},
    ):
        response = client.post(f"/followups/{case.pk}/", data)
        assert response.status_code in (302, 400)
    case.refresh_from_db()
    assert case.status == FollowUp.Status.NEW and case.owner == agent
