"""The respondent's step two and the thanks page: the "why" and the driver answers, changed within
the edit window, checked with a message in the respondent's language; the thanks text per category."""

from datetime import timedelta

import pytest
from freezegun import freeze_time

from surveys.models import Answer, Campaign, Invitation, Question, Response
from tests.factories import CampaignFactory, InvitationFactory
from tests.public_form_support import answer, invitation  # noqa: F401


def test_step_two_stores_the_comment_and_driver_answers(client, invitation):
    answer(client, invitation, 3)
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
    answer(client, invitation, 3)
    response = client.post(f"/s/{invitation.token}/why/", {"comment": "meh"})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert Response.objects.get().comment == ""


def test_an_over_long_comment_is_refused_not_truncated(client, invitation):
    answer(client, invitation, 5)
    csat = invitation.campaign.questions.get(kind="csat")
    response = client.post(f"/s/{invitation.token}/why/", {"comment": "x" * 5001, f"q{csat.pk}": "3"})
    assert response.status_code == 400
    assert Response.objects.get().comment == ""


def test_changing_the_details_within_seven_days_updates_them(client, invitation):
    answer(client, invitation, 3)
    csat, multiple = invitation.campaign.questions.order_by("order")
    why = f"/s/{invitation.token}/why/"
    client.post(why, {"comment": "Slow", f"q{csat.pk}": "2", f"q{multiple.pk}": ["App"]})
    client.post(why, {"comment": "Slow and rude", f"q{csat.pk}": "1"})
    stored = Response.objects.get()
    assert stored.comment == "Slow and rude"
    assert Answer.objects.get(question=csat).number == 1
    assert not Answer.objects.filter(question=multiple).exists()  # unticked: removed


def test_the_details_can_no_longer_change_after_seven_days(client, invitation):
    answer(client, invitation, 3)
    with freeze_time(Response.objects.get().submitted_at + timedelta(days=8)):
        response = client.post(f"/s/{invitation.token}/why/", {"comment": "late"})
        assert "You already answered" in response.content.decode()
    assert Response.objects.get().comment == ""


@pytest.mark.parametrize("field, value", [("csat", "9"), ("csat", "two"), ("multiple", "Fax")])
def test_it_rejects_a_driver_answer_outside_its_options(client, invitation, field, value):
    answer(client, invitation, 3)
    question = invitation.campaign.questions.get(kind=field)
    csat = invitation.campaign.questions.get(kind="csat")
    data = {"comment": "hm", f"q{csat.pk}": "3", f"q{question.pk}": value}
    response = client.post(f"/s/{invitation.token}/why/", data)
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert Response.objects.get().comment == "" and not Answer.objects.exists()


def test_an_over_long_comment_gets_a_message_and_keeps_the_text(client, invitation):
    answer(client, invitation, 5)
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
    answer(client, invitation, 5)
    Campaign.objects.filter(pk=invitation.campaign_id).update(status=Campaign.Status.CLOSED)
    assert client.post(f"/s/{invitation.token}/why/", {"comment": "late"}).status_code == 410
    assert Response.objects.get().comment == ""


def test_the_thanks_page_speaks_to_the_category(client, invitation):
    answer(client, invitation, 10)
    html = client.get(f"/s/{invitation.token}/thanks/").content.decode()
    assert "delighted you would recommend us" in html
    site = invitation.campaign.review_sites.get()
    assert f'href="/s/{invitation.token}/review/{site.pk}/"' in html and "Review us on Acme reviews" in html


def test_the_detractor_thanks_page_has_no_review_link(client, invitation):
    answer(client, invitation, 2)
    html = client.get(f"/s/{invitation.token}/thanks/").content.decode()
    assert "Someone from our team will contact you" in html
    assert "/review/" not in html and "Review us on" not in html


def test_the_passive_thanks_page_has_its_own_text_and_no_review_link(client, invitation):
    answer(client, invitation, 7)
    html = client.get(f"/s/{invitation.token}/thanks/").content.decode()
    assert "earn a higher score" in html and "/review/" not in html


def test_the_campaigns_own_thank_you_text_wins(client, invitation):
    Campaign.objects.filter(pk=invitation.campaign_id).update(thanks_detractor="Sorry, {company} will call you.")
    answer(client, invitation, 1)
    assert "Sorry, Acme will call you." in client.get(f"/s/{invitation.token}/thanks/").content.decode()


def test_a_dutch_contact_gets_dutch_thanks_and_messages(client, db):
    invitation = InvitationFactory(campaign=CampaignFactory(), contact__language="nl")
    answer(client, invitation, 10)
    assert "Bedankt" in client.get(f"/s/{invitation.token}/thanks/").content.decode()
    Campaign.objects.filter(pk=invitation.campaign_id).update(status=Campaign.Status.CLOSED)
    assert "gesloten" in client.get(f"/s/{invitation.token}/").content.decode()
