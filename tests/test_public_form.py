"""The respondent's personal link, step one: a GET never records; the score is stored on POST; one
response per link, changed within the edit window; bad links and closed campaigns. (Step two and
the thanks page: test_public_details.py; the campaign's public link: test_public_anonymous.py.)"""

from datetime import timedelta

import pytest
from freezegun import freeze_time

from surveys.models import Answer, Campaign, Invitation, Question, Response
from tests.factories import CampaignFactory, InvitationFactory
from tests.public_form_support import answer, invitation  # noqa: F401


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
    response = answer(client, invitation, 3)
    assert response.status_code == 302
    assert response["Location"] == f"/s/{invitation.token}/why/"
    stored = Response.objects.get()
    assert (stored.score, stored.category, stored.contact_id) == (3, "detractor", invitation.contact_id)
    assert stored.touchpoint_id == invitation.campaign.touchpoint_id and stored.kind == invitation.campaign.kind
    assert stored.processed_at is None  # the request stored the answer only; the worker does the rest


def test_answering_again_within_seven_days_updates_the_same_response(client, invitation):
    answer(client, invitation, 3)
    answer(client, invitation, 8)
    assert Response.objects.count() == 1
    assert Response.objects.get().score == 8


def test_after_seven_days_the_answer_can_no_longer_change(client, invitation):
    answer(client, invitation, 3)
    with freeze_time(Response.objects.get().submitted_at + timedelta(days=8)):
        response = answer(client, invitation, 9)
        assert "You already answered" in response.content.decode()
    assert Response.objects.get().score == 3


@pytest.mark.parametrize("score", ["11", "-1", "abc", "", "3.5", "1e1", "٣", "05", " 5", "5 ", "+5", "010"])
def test_it_rejects_a_bad_score_with_a_message(client, invitation, score):
    response = answer(client, invitation, score)
    assert response.status_code == 400
    assert "Choose a score from 0 to 10." in response.content.decode()
    assert Response.objects.count() == 0


def test_a_repeated_score_field_is_refused_not_read_as_its_last_value(client, invitation):
    response = client.post(f"/s/{invitation.token}/", {"score": ["9", "2"]})
    assert response.status_code == 400
    assert "Choose a score from 0 to 10." in response.content.decode()
    assert Response.objects.count() == 0


def test_a_repeated_score_on_the_public_link_is_refused_too(client, db):
    campaign = CampaignFactory(anonymous_link_enabled=True)
    response = client.post(f"/a/{campaign.anonymous_token}/", {"score": ["9", "2"]})
    assert response.status_code == 400
    assert Response.objects.count() == 0


@pytest.mark.parametrize("token", ["nope", "A" * 24, "x" * 200])
def test_an_unknown_or_forged_token_is_a_404(client, invitation, token):
    assert client.get(f"/s/{token}/").status_code == 404
    assert client.post(f"/s/{token}/", {"score": 5}).status_code == 404


def test_a_truncated_token_is_a_404(client, invitation):
    assert client.get(f"/s/{invitation.token[:-2]}/").status_code == 404


def test_a_closed_campaign_answers_410_and_stores_nothing(client, invitation):
    Campaign.objects.filter(pk=invitation.campaign_id).update(status=Campaign.Status.CLOSED)
    assert client.get(f"/s/{invitation.token}/").status_code == 410
    assert answer(client, invitation, 5).status_code == 410
    assert Response.objects.count() == 0


def test_the_form_works_without_javascript(client, invitation):
    html = client.get(f"/s/{invitation.token}/").content.decode()
    assert "<script" not in html
    assert 'type="radio" name="score"' in html and 'type="submit"' in html


def test_the_personal_link_sets_no_cookie_and_answers_without_one(invitation):
    # The token authorises the answer; an in-app mail browser that drops cookies still gets through.
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    page = strict.get(f"/s/{invitation.token}/")
    assert page.status_code == 200 and not page.cookies
    assert "csrfmiddlewaretoken" not in page.content.decode()
    strict.cookies.clear()
    answered = strict.post(f"/s/{invitation.token}/", {"score": 5})
    assert answered.status_code == 302 and not answered.cookies
    csat = invitation.campaign.questions.get(order=1)
    details = strict.post(answered["Location"], {"comment": "Slow support", f"q{csat.pk}": "2"})
    assert details.status_code == 302 and not details.cookies
    assert Response.objects.get().comment == "Slow support"


def test_a_dutch_contact_gets_the_dutch_form(client, db):
    invitation = InvitationFactory(campaign=CampaignFactory(), contact__language="nl")
    html = client.get(f"/s/{invitation.token}/").content.decode()
    assert 'lang="nl"' in html
    assert "aanbevelen" in html


def test_a_logged_in_staff_member_sees_a_respondent_page_in_the_respondents_language(client, db):
    from tests.factories import UserFactory
    from tests.helpers import prefers

    staff = UserFactory(username="staff-en", role="admin")
    prefers(staff, "en")
    client.force_login(staff)
    invitation = InvitationFactory(campaign=CampaignFactory(), contact__language="nl")
    page = client.get(f"/s/{invitation.token}/")
    assert page["Content-Language"] == "nl" and 'lang="nl"' in page.content.decode()


PROCESS = "followups.tasks.process_response"


def test_no_get_anywhere_records_anything(client, invitation):
    for path in ("", "why/", "thanks/"):
        client.get(f"/s/{invitation.token}/{path}?score=9")
    assert Response.objects.count() == 0
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.SENT and invitation.answered_at is None


def test_the_response_copies_the_campaign_and_the_language(client, db):
    from tests.factories import TeamFactory

    campaign = CampaignFactory(team=TeamFactory(name="Support team"), kind="transactional")
    invitation = InvitationFactory(campaign=campaign, contact__language="nl")
    answer(client, invitation, 6)
    stored = Response.objects.get()
    assert (stored.kind, stored.team_id, stored.touchpoint_id, stored.channel, stored.language) == (
        "transactional",
        campaign.team_id,
        campaign.touchpoint_id,
        "email",
        "nl",
    )
    from followups.processing import response_process

    response_process(response_id=stored.pk)  # the worker marks the invitation answered
    stored.invitation.refresh_from_db()
    assert stored.invitation.answered_at == stored.submitted_at and stored.invitation.status == "answered"


def test_the_way_on_to_the_why_page_keeps_the_script_prefix_and_quotes_an_unusual_token(client, invitation):
    from django.test.utils import override_script_prefix
    from django.urls import reverse

    with override_script_prefix("/nps/"):
        assert answer(client, invitation, 9)["Location"] == f"/nps/s/{invitation.token}/why/"
    odd = InvitationFactory(campaign=invitation.campaign, token="odd token~1")
    assert client.post(reverse("surveys:survey_answer", args=[odd.token]), {"score": 9})["Location"] == (
        "/s/odd%20token~1/why/"
    )


def test_the_change_link_shows_the_stored_score(client, invitation):
    answer(client, invitation, 4)
    html = client.get(f"/s/{invitation.token}/").content.decode()
    assert 'id="score-4" value="4" checked' in html


def test_each_new_or_changed_answer_is_handed_to_the_followups_once(
    client, invitation, broker, django_capture_on_commit_callbacks
):
    csat = invitation.campaign.questions.get(kind="csat")
    with django_capture_on_commit_callbacks(execute=True):
        answer(client, invitation, 3)
        answer(client, invitation, 3)  # the same score again: nothing changed
        client.post(f"/s/{invitation.token}/why/", {"comment": "Slow", f"q{csat.pk}": "2"})
        client.post(f"/s/{invitation.token}/why/", {"comment": "Slow", f"q{csat.pk}": "2"})  # unchanged
        answer(client, invitation, 9)
    from tests.helpers import handed_off

    response_id = Response.objects.get().pk
    # The new answer, the "why" and the changed score: each a cheap hand-off to the workers' dispatcher,
    # which processes them in batches (make chaos: one task per "why" cost as much as the answers).
    assert handed_off() == [response_id] * 3
    assert broker(PROCESS) == []


def test_the_preview_posts_nowhere_and_records_nothing(rf, invitation):
    from surveys.public_views import render_answer_page

    request = rf.get("/preview/?score=8")
    html = render_answer_page(request, campaign=invitation.campaign).content.decode()
    assert 'method="get"' in html and 'method="post"' not in html
    assert 'id="score-8" value="8" checked' in html
    assert "Preview: answers are not recorded." in html
    assert Response.objects.count() == 0


def test_the_scale_is_eleven_labelled_radios_in_a_fieldset(client, invitation):
    html = client.get(f"/s/{invitation.token}/").content.decode()
    assert html.count('type="radio" name="score"') == 11
    for n in range(11):
        assert '<label class="btn score-btn' in html and f'for="score-{n}"' in html
    assert "<fieldset>" in html and "<legend" in html
    assert "Not at all likely" in html and "Extremely likely" in html


@pytest.mark.parametrize(
    "contact_language, campaign_language, expected",
    [("nl", "en", "nl"), ("en", "nl", "en"), ("xx", "nl", "nl"), ("", "en", "en"), ("xx", "yy", "en")],
)
def test_the_answer_is_stored_in_the_respondents_language(client, db, contact_language, campaign_language, expected):
    """The contact's language, else the campaign's, else the site's (surveys.wording.respondent_language),
    whichever way the answer is stored (tests/test_first_answer.py compares the two ways)."""
    from surveys import wording

    invitation = InvitationFactory(campaign=CampaignFactory(), contact__language=contact_language)
    Campaign.objects.filter(pk=invitation.campaign_id).update(language=campaign_language)
    invitation.campaign.language = campaign_language
    assert wording.respondent_language(invitation.campaign, invitation.contact) == expected
    assert answer(client, invitation, 8).status_code == 302
    assert Response.objects.get().language == expected
