"""The respondent's form: a GET never records; the answer is stored on POST; one response per link."""

from datetime import timedelta

import pytest
from freezegun import freeze_time

from surveys.models import Answer, Campaign, Invitation, Question, Response
from tests.factories import CampaignFactory, InvitationFactory


@pytest.fixture
def invitation(db):
    campaign = CampaignFactory(
        status=Campaign.Status.ACTIVE, why_question="Why that score?", promoter_link="https://reviews.example.com/acme"
    )
    Question.objects.create(
        campaign=campaign, order=1, kind=Question.Kind.CSAT, text="How satisfied are you?", required=True
    )
    Question.objects.create(
        campaign=campaign, order=2, kind=Question.Kind.MULTIPLE, text="What did you use?", choices=["App", "Web"]
    )
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
    assert stored.processed_at is None  # the request stored the answer only; the worker does the rest


def test_step_two_stores_the_comment_and_driver_answers(client, invitation):
    _answer(client, invitation, 3)
    csat, multiple = invitation.campaign.questions.order_by("order")
    response = client.post(
        f"/s/{invitation.token}/why/", {"comment": "Too slow", f"q{csat.pk}": "2", f"q{multiple.pk}": ["App", "Web"]}
    )
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


def test_the_public_campaign_link_still_needs_a_csrf_token(db):
    # Shared by many: another site must not make its visitors' browsers answer through it.
    from django.test import Client

    campaign = CampaignFactory(anonymous_link_enabled=True, status="active")
    strict = Client(enforce_csrf_checks=True)
    page = strict.get(f"/a/{campaign.anonymous_token}/")
    assert "csrfmiddlewaretoken" in page.content.decode()
    strict.cookies.clear()
    assert strict.post(f"/a/{campaign.anonymous_token}/", {"score": 5}).status_code == 403
    assert Response.objects.count() == 0


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


@freeze_time("2026-11-24 10:00:01", tick=True)  # the limit counts per clock minute: stay inside one
def test_the_anonymous_link_is_rate_limited_per_client(client, db):
    from django.core.cache import cache

    cache.clear()
    campaign = CampaignFactory(anonymous_link_enabled=True)
    statuses = [client.post(f"/a/{campaign.anonymous_token}/", {"score": 5}).status_code for _ in range(22)]
    assert statuses.count(302) == 20
    assert statuses[-1] == 429
    cache.clear()


# --- More of the same rules --------------------------------------------------------------------
PROCESS = "followups.tasks.process_response"


def test_no_get_anywhere_records_anything(client, invitation):
    for path in ("", "why/", "thanks/"):
        client.get(f"/s/{invitation.token}/{path}?score=9")
    assert Response.objects.count() == 0
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.SENT and invitation.answered_at is None


def test_the_passive_thanks_page_has_its_own_text_and_no_review_link(client, invitation):
    _answer(client, invitation, 7)
    html = client.get(f"/s/{invitation.token}/thanks/").content.decode()
    assert "earn a higher score" in html and "reviews.example.com" not in html


def test_the_campaigns_own_thank_you_text_wins(client, invitation):
    Campaign.objects.filter(pk=invitation.campaign_id).update(thanks_detractor="Sorry, {company} will call you.")
    _answer(client, invitation, 1)
    assert "Sorry, Acme will call you." in client.get(f"/s/{invitation.token}/thanks/").content.decode()


def test_the_response_copies_the_campaign_and_the_language(client, db):
    from tests.factories import TeamFactory

    campaign = CampaignFactory(team=TeamFactory(name="Support team"), kind="transactional")
    invitation = InvitationFactory(campaign=campaign, contact__language="nl")
    _answer(client, invitation, 6)
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


def test_a_first_answer_is_one_statement_and_the_others_take_the_general_way(
    client, invitation, django_assert_num_queries
):
    with django_assert_num_queries(1):  # INSERT … SELECT: nothing else is read or written on the request
        assert _answer(client, invitation, 3).status_code == 302
    with freeze_time(timedelta(minutes=1), tick=True):
        assert _answer(client, invitation, 4).status_code == 302  # already answered: changed, not doubled
    assert list(Response.objects.values_list("invitation_id", "score")) == [(invitation.pk, 4)]
    Campaign.objects.filter(pk=invitation.campaign_id).update(status=Campaign.Status.CLOSED)
    assert _answer(client, InvitationFactory(campaign=invitation.campaign), 3).status_code == 410


def test_the_way_on_to_the_why_page_keeps_the_script_prefix_and_quotes_an_unusual_token(client, invitation):
    from django.test.utils import override_script_prefix
    from django.urls import reverse

    with override_script_prefix("/nps/"):
        assert _answer(client, invitation, 9)["Location"] == f"/nps/s/{invitation.token}/why/"
    odd = InvitationFactory(campaign=invitation.campaign, token="odd token~1")
    assert client.post(reverse("survey_answer", args=[odd.token]), {"score": 9})["Location"] == (
        "/s/odd%20token~1/why/"
    )


@pytest.mark.parametrize(
    "contact_language, campaign_language, expected",
    [("nl", "en", "nl"), ("en", "nl", "en"), ("xx", "nl", "nl"), ("", "en", "en"), ("xx", "yy", "en")],
)
def test_the_one_statement_answer_keeps_the_respondents_language_rule(
    db, contact_language, campaign_language, expected
):
    from surveys import wording
    from surveys.responses import response_submit_first

    invitation = InvitationFactory(
        campaign=CampaignFactory(status=Campaign.Status.ACTIVE), contact__language=contact_language
    )
    Campaign.objects.filter(pk=invitation.campaign_id).update(language=campaign_language)
    invitation.campaign.language = campaign_language
    assert wording.respondent_language(invitation.campaign, invitation.contact) == expected
    pk = response_submit_first(token=invitation.token, score="8")
    assert Response.objects.get(pk=pk).language == expected


def test_the_change_link_shows_the_stored_score(client, invitation):
    _answer(client, invitation, 4)
    html = client.get(f"/s/{invitation.token}/").content.decode()
    assert 'id="score-4" value="4" checked' in html


def test_changing_the_details_within_seven_days_updates_them(client, invitation):
    _answer(client, invitation, 3)
    csat, multiple = invitation.campaign.questions.order_by("order")
    why = f"/s/{invitation.token}/why/"
    client.post(why, {"comment": "Slow", f"q{csat.pk}": "2", f"q{multiple.pk}": ["App"]})
    client.post(why, {"comment": "Slow and rude", f"q{csat.pk}": "1"})
    stored = Response.objects.get()
    assert stored.comment == "Slow and rude"
    assert Answer.objects.get(question=csat).number == 1
    assert not Answer.objects.filter(question=multiple).exists()  # unticked: removed


def test_the_details_can_no_longer_change_after_seven_days(client, invitation):
    _answer(client, invitation, 3)
    with freeze_time(Response.objects.get().submitted_at + timedelta(days=8)):
        response = client.post(f"/s/{invitation.token}/why/", {"comment": "late"})
        assert "You already answered" in response.content.decode()
    assert Response.objects.get().comment == ""


@pytest.mark.parametrize("field, value", [("csat", "9"), ("csat", "two"), ("multiple", "Fax")])
def test_it_rejects_a_driver_answer_outside_its_options(client, invitation, field, value):
    _answer(client, invitation, 3)
    question = invitation.campaign.questions.get(kind=field)
    csat = invitation.campaign.questions.get(kind="csat")
    data = {"comment": "hm", f"q{csat.pk}": "3", f"q{question.pk}": value}
    response = client.post(f"/s/{invitation.token}/why/", data)
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert Response.objects.get().comment == "" and not Answer.objects.exists()


def test_an_over_long_comment_gets_a_message_and_keeps_the_text(client, invitation):
    _answer(client, invitation, 5)
    csat = invitation.campaign.questions.get(kind="csat")
    response = client.post(f"/s/{invitation.token}/why/", {"comment": "x" * 5001, f"q{csat.pk}": "3"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Please keep your answer under 5000 characters (it has 5001)." in html
    assert "x" * 5001 in html  # given back to edit, not cut short


def test_a_json_body_gets_the_form_again(client, invitation):
    response = client.post(f"/s/{invitation.token}/", data='{"score": 5}', content_type="application/json")
    assert response.status_code == 400
    assert "Choose a score from 0 to 10." in response.content.decode()
    assert Response.objects.count() == 0


def test_a_closed_campaign_refuses_the_second_step_too(client, invitation):
    _answer(client, invitation, 5)
    Campaign.objects.filter(pk=invitation.campaign_id).update(status=Campaign.Status.CLOSED)
    assert client.post(f"/s/{invitation.token}/why/", {"comment": "late"}).status_code == 410
    assert Response.objects.get().comment == ""


def test_a_dutch_contact_gets_dutch_thanks_and_messages(client, db):
    invitation = InvitationFactory(campaign=CampaignFactory(), contact__language="nl")
    _answer(client, invitation, 10)
    assert "Bedankt" in client.get(f"/s/{invitation.token}/thanks/").content.decode()
    Campaign.objects.filter(pk=invitation.campaign_id).update(status=Campaign.Status.CLOSED)
    assert "gesloten" in client.get(f"/s/{invitation.token}/").content.decode()


def test_each_new_or_changed_answer_is_handed_to_the_followups_once(
    client, invitation, broker, django_capture_on_commit_callbacks
):
    csat = invitation.campaign.questions.get(kind="csat")
    with django_capture_on_commit_callbacks(execute=True):
        _answer(client, invitation, 3)
        _answer(client, invitation, 3)  # the same score again: nothing changed
        client.post(f"/s/{invitation.token}/why/", {"comment": "Slow", f"q{csat.pk}": "2"})
        client.post(f"/s/{invitation.token}/why/", {"comment": "Slow", f"q{csat.pk}": "2"})  # unchanged
        _answer(client, invitation, 9)
    from tests.helpers import handed_off

    response_id = Response.objects.get().pk
    assert handed_off() == [response_id]  # the new answer: a cheap hand-off to the workers' dispatcher
    assert broker(PROCESS) == [(PROCESS, [response_id])] * 2  # the "why" and the changed score


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


def test_the_anonymous_details_and_thanks_work_with_the_signed_key(client, db):
    campaign = CampaignFactory(anonymous_link_enabled=True, language="nl")
    first = client.post(f"/a/{campaign.anonymous_token}/", {"score": 2})
    assert first["Location"].startswith("/s/a")
    second = client.post(first["Location"], {"comment": "Te duur"})
    assert second.status_code == 302
    assert "Bedankt" in client.get(second["Location"]).content.decode()
    stored = Response.objects.get()
    assert (stored.comment, stored.channel, stored.language) == ("Te duur", "web", "nl")


def test_each_anonymous_post_is_its_own_response(client, db):
    campaign = CampaignFactory(anonymous_link_enabled=True)
    client.post(f"/a/{campaign.anonymous_token}/", {"score": 2})
    client.post(f"/a/{campaign.anonymous_token}/", {"score": 9})
    assert sorted(Response.objects.values_list("score", flat=True)) == [2, 9]


def test_a_bad_anonymous_score_gets_the_form_again(client, db):
    campaign = CampaignFactory(anonymous_link_enabled=True)
    response = client.post(f"/a/{campaign.anonymous_token}/", {"score": "11"})
    assert response.status_code == 400 and "Choose a score from 0 to 10." in response.content.decode()
    assert Response.objects.count() == 0


def test_a_closed_anonymous_link_is_a_410(client, db):
    campaign = CampaignFactory(anonymous_link_enabled=True, status=Campaign.Status.CLOSED)
    assert client.get(f"/a/{campaign.anonymous_token}/").status_code == 410
    assert client.post(f"/a/{campaign.anonymous_token}/", {"score": 5}).status_code == 410
    assert Response.objects.count() == 0


@freeze_time("2026-11-24 10:00:01", tick=True)  # the limit counts per clock minute: stay inside one
def test_the_rate_limit_page_is_friendly_and_counts_per_client(client, db):
    from django.core.cache import cache
    from django.test import Client

    cache.clear()
    campaign = CampaignFactory(anonymous_link_enabled=True)
    for _ in range(20):
        client.post(f"/a/{campaign.anonymous_token}/", {"score": 5})
    limited = client.post(f"/a/{campaign.anonymous_token}/", {"score": 5})
    assert limited.status_code == 429 and "Please try again in a minute." in limited.content.decode()
    assert limited["Retry-After"] == "60"
    other = Client(REMOTE_ADDR="203.0.113.9").post(f"/a/{campaign.anonymous_token}/", {"score": 5})
    assert other.status_code == 302  # another client is not limited
    assert Response.objects.count() == 21
    cache.clear()


@freeze_time("2026-11-24 10:00:01", tick=True)  # the limit counts per clock minute: stay inside one
def test_behind_a_proxy_the_limit_counts_the_forwarded_address(client, db, settings):
    from django.core.cache import cache

    cache.clear()
    settings.TRUSTED_PROXY_HOPS = 1
    campaign = CampaignFactory(anonymous_link_enabled=True)
    url = f"/a/{campaign.anonymous_token}/"
    for _ in range(20):
        client.post(url, {"score": 5}, HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert client.post(url, {"score": 5}, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429
    # A client cannot escape by forging the header: the proxy appends the real address last.
    assert client.post(url, {"score": 5}, HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.1").status_code == 429
    assert client.post(url, {"score": 5}, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 302
    cache.clear()
