"""The respondent's form: a GET never records; the answer is stored on POST; one response per link."""

from datetime import timedelta

import pytest
from freezegun import freeze_time

from surveys.models import Answer, Campaign, Invitation, Question, Response
from tests.factories import CampaignFactory, InvitationFactory


@pytest.fixture
def invitation(db):
    campaign = CampaignFactory(status=Campaign.Status.ACTIVE, why_question="Why that score?",
                               promoter_link="https://reviews.example.com/acme")
    Question.objects.create(campaign=campaign, order=1, kind=Question.Kind.CSAT, text="How satisfied are you?",
                            required=True)
    Question.objects.create(campaign=campaign, order=2, kind=Question.Kind.MULTIPLE, text="What did you use?",
                            choices=["App", "Web"])
    return InvitationFactory(campaign=campaign, contact__language="en")


def _answer(client, invitation, score):
    return client.post(f"/s/{invitation.token}/", {"score": score})


def test_a_get_with_a_score_preselects_it_and_records_nothing(client, invitation):
    response = client.get(f"/s/{invitation.token}/?score=3")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="score-3" value="3" checked' in html
    assert html.count("checked") == 1
    assert Response.objects.count() == 0
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.SENT


def test_the_post_records_the_score_and_moves_to_the_why(client, invitation):
    response = _answer(client, invitation, 3)
    assert response.status_code == 302
    assert response["Location"] == f"/s/{invitation.token}/why/"
    stored = Response.objects.get()
    assert (stored.score, stored.category, stored.contact_id) == (3, "detractor", invitation.contact_id)
    assert stored.touchpoint_id == invitation.campaign.touchpoint_id and stored.kind == invitation.campaign.kind
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ANSWERED


def test_step_two_stores_the_comment_and_driver_answers(client, invitation):
    _answer(client, invitation, 3)
    csat, multiple = invitation.campaign.questions.order_by("order")
    response = client.post(f"/s/{invitation.token}/why/", {"comment": "Too slow", f"q{csat.pk}": "2",
                                                          f"q{multiple.pk}": ["App", "Web"]})
    assert response.status_code == 302
    stored = Response.objects.get()
    assert stored.comment == "Too slow"
    assert Answer.objects.get(question=csat).number == 2
    assert Answer.objects.get(question=multiple).choices == ["App", "Web"]


def test_a_required_driver_question_must_be_answered(client, invitation):
    _answer(client, invitation, 3)
    response = client.post(f"/s/{invitation.token}/why/", {"comment": "meh"})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert Response.objects.get().comment == ""


def test_the_thanks_page_speaks_to_the_category(client, invitation):
    _answer(client, invitation, 10)
    html = client.get(f"/s/{invitation.token}/thanks/").content.decode()
    assert "delighted you would recommend us" in html
    assert "https://reviews.example.com/acme" in html


def test_the_detractor_thanks_page_has_no_review_link(client, invitation):
    _answer(client, invitation, 2)
    html = client.get(f"/s/{invitation.token}/thanks/").content.decode()
    assert "Someone from our team will contact you" in html
    assert "reviews.example.com" not in html


def test_answering_again_within_seven_days_updates_the_same_response(client, invitation):
    _answer(client, invitation, 3)
    _answer(client, invitation, 8)
    assert Response.objects.count() == 1
    assert Response.objects.get().score == 8


def test_after_seven_days_the_answer_can_no_longer_change(client, invitation):
    _answer(client, invitation, 3)
    with freeze_time(Response.objects.get().submitted_at + timedelta(days=8)):
        response = _answer(client, invitation, 9)
        assert "You already answered" in response.content.decode()
    assert Response.objects.get().score == 3


@pytest.mark.parametrize("score", ["11", "-1", "abc", "", "3.5", "1e1", "٣"])
def test_it_rejects_a_bad_score_with_a_message(client, invitation, score):
    response = _answer(client, invitation, score)
    assert response.status_code == 400
    assert "Choose a score from 0 to 10." in response.content.decode()
    assert Response.objects.count() == 0


def test_an_over_long_comment_is_refused_not_truncated(client, invitation):
    _answer(client, invitation, 5)
    csat = invitation.campaign.questions.get(kind="csat")
    response = client.post(f"/s/{invitation.token}/why/", {"comment": "x" * 5001, f"q{csat.pk}": "3"})
    assert response.status_code == 400
    assert Response.objects.get().comment == ""


@pytest.mark.parametrize("token", ["nope", "A" * 24, "x" * 200])
def test_an_unknown_or_forged_token_is_a_404(client, invitation, token):
    assert client.get(f"/s/{token}/").status_code == 404
    assert client.post(f"/s/{token}/", {"score": 5}).status_code == 404


def test_a_truncated_token_is_a_404(client, invitation):
    assert client.get(f"/s/{invitation.token[:-2]}/").status_code == 404


def test_a_closed_campaign_answers_410_and_stores_nothing(client, invitation):
    Campaign.objects.filter(pk=invitation.campaign_id).update(status=Campaign.Status.CLOSED)
    assert client.get(f"/s/{invitation.token}/").status_code == 410
    assert _answer(client, invitation, 5).status_code == 410
    assert Response.objects.count() == 0


def test_the_form_works_without_javascript(client, invitation):
    html = client.get(f"/s/{invitation.token}/").content.decode()
    assert "<script" not in html
    assert 'type="radio" name="score"' in html and 'type="submit"' in html


def test_the_form_needs_a_csrf_token(invitation):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post(f"/s/{invitation.token}/", {"score": 5}).status_code == 403
    assert Response.objects.count() == 0


def test_a_dutch_contact_gets_the_dutch_form(client, db):
    invitation = InvitationFactory(campaign=CampaignFactory(), contact__language="nl")
    html = client.get(f"/s/{invitation.token}/").content.decode()
    assert 'lang="nl"' in html
    assert "aanbevelen" in html


def test_the_anonymous_link_records_an_answer_without_a_contact(client, db):
    campaign = CampaignFactory(anonymous_link_enabled=True)
    response = client.post(f"/a/{campaign.anonymous_token}/", {"score": 9})
    assert response.status_code == 302
    stored = Response.objects.get()
    assert stored.contact is None and stored.invitation is None and stored.score == 9
    assert client.post(response["Location"], {"comment": "Great"}).status_code == 302
    assert Response.objects.get().comment == "Great"


def test_a_disabled_anonymous_link_is_a_404(client, db):
    campaign = CampaignFactory(anonymous_link_enabled=False)
    assert client.get(f"/a/{campaign.anonymous_token}/").status_code == 404


def test_a_forged_anonymous_key_is_a_404(client, db):
    assert client.get("/s/a1:forged:signature/why/").status_code == 404


def test_the_anonymous_link_is_rate_limited_per_client(client, db):
    from django.core.cache import cache

    cache.clear()
    campaign = CampaignFactory(anonymous_link_enabled=True)
    statuses = [client.post(f"/a/{campaign.anonymous_token}/", {"score": 5}).status_code for _ in range(22)]
    assert statuses.count(302) == 20
    assert statuses[-1] == 429
    cache.clear()
