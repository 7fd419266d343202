"""The campaign builder's driver questions in place (#30.8): "Add a question" fetches one more blank
form (surveys.builder_views), "Remove" ticks DELETE, and the order on the page (ORDER, renumbered
by static/js/questions.js after a drag or a move) is the order saved. The browser side is in
tests/e2e/test_e2e_campaign_questions.py."""

import re

import pytest

from core.models import AuditLog
from surveys.models import Campaign, Question
from tests.factories import CampaignFactory

URL = "/campaigns/questions/new/"


def _management(total, initial=0):
    return {
        "questions-TOTAL_FORMS": str(total),
        "questions-INITIAL_FORMS": str(initial),
        "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "10",
    }


def _campaign_form(campaign=None, **fields):
    data = {
        "name": campaign.name if campaign else "Support survey",
        "kind": "transactional" if campaign else "relational",
        "channel": "email",
        "language": "en",
        "quiet_period_days": 30,
        "spread_days": 0,
        "reminder_after_days": 5,
    }
    if campaign is not None:
        data["touchpoint"] = campaign.touchpoint.pk
    data.update(fields)
    return data


def _question(index, text, *, pk=None, order=None, kind="text", delete=False):
    row = {f"questions-{index}-text": text, f"questions-{index}-kind": kind, f"questions-{index}-driver": "other"}
    if pk is not None:
        row[f"questions-{index}-id"] = pk
    if order is not None:
        row[f"questions-{index}-ORDER"] = order
    if delete:
        row[f"questions-{index}-DELETE"] = "on"
    return row


def test_add_a_question_sends_the_next_blank_form_and_the_new_count(client, admin):
    client.force_login(admin)
    response = client.get(URL, {"questions-TOTAL_FORMS": "2", "language": "en"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="questions-2-text"' in html and 'name="questions-1-text"' not in html
    assert re.search(r'name="questions-2-ORDER" value="3"', html)
    assert re.search(r'<input type="hidden" name="questions-TOTAL_FORMS" value="3"[^>]*data-hx-swap-oob="true"', html)
    assert 'name="questions-2-tr_nl_text"' in html  # the texts in the campaign's other languages
    assert "Question 3" in html
    assert not Question.objects.exists()


def test_add_a_question_in_a_dutch_campaign_offers_the_english_texts(client, admin):
    client.force_login(admin)
    html = client.get(URL, {"questions-TOTAL_FORMS": "0", "language": "nl"}).content.decode()
    assert 'name="questions-0-tr_en_text"' in html and 'name="questions-0-tr_nl_text"' not in html


@pytest.mark.parametrize("count", ["x", "-1", "1010", "99999999999999999999"])
def test_a_bad_count_is_a_400(client, admin, count):
    client.force_login(admin)
    assert client.get(URL, {"questions-TOTAL_FORMS": count}).status_code == 400


def test_only_admins_add_questions(client, agent):
    client.force_login(agent)
    assert client.get(URL, {"questions-TOTAL_FORMS": "0"}).status_code == 403


def test_the_builder_has_no_empty_slots_but_an_add_button(client, admin):
    client.force_login(admin)
    html = client.get("/campaigns/new/").content.decode()
    assert 'name="questions-TOTAL_FORMS" value="0"' in html
    assert "data-question-add" in html and "Save to get more" not in html
    assert "js/questions.js" in html


def test_the_order_on_the_page_is_the_order_saved(client, admin):
    campaign = CampaignFactory(status="draft", kind="transactional")
    first = Question.objects.create(campaign=campaign, kind="text", text="First", order=1)
    second = Question.objects.create(campaign=campaign, kind="text", text="Second", order=2)
    client.force_login(admin)
    data = _campaign_form(
        campaign,
        **_management(3, initial=2),
        **_question(0, "First", pk=first.pk, order=3),
        **_question(1, "Second", pk=second.pk, order=1),
        **_question(2, "New", order=2),
    )
    assert client.post(f"/campaigns/{campaign.pk}/edit/", data).status_code == 302
    assert list(campaign.questions.values_list("text", "order")) == [("Second", 1), ("New", 2), ("First", 3)]


def test_only_moving_questions_is_a_change_in_the_audit(client, admin):
    campaign = CampaignFactory(status="draft", kind="transactional")
    first = Question.objects.create(campaign=campaign, kind="text", text="First", order=1)
    second = Question.objects.create(campaign=campaign, kind="text", text="Second", order=2)
    client.force_login(admin)
    data = _campaign_form(
        campaign,
        **_management(2, initial=2),
        **_question(0, "First", pk=first.pk, order=2),
        **_question(1, "Second", pk=second.pk, order=1),
    )
    assert client.post(f"/campaigns/{campaign.pk}/edit/", data).status_code == 302
    assert list(campaign.questions.values_list("text", flat=True)) == ["Second", "First"]
    assert AuditLog.objects.get(action="campaign.updated").data["questions_changed"] is True


def test_a_removed_new_question_is_not_saved_even_half_filled(client, admin):
    client.force_login(admin)
    data = _campaign_form(
        **_management(2),
        **_question(0, "Kept", order=1),
        **_question(1, "", order=2, kind="single", delete=True),  # invalid, but removed
    )
    assert client.post("/campaigns/new/", data).status_code == 302
    assert list(Campaign.objects.get().questions.values_list("text", flat=True)) == ["Kept"]


def test_a_removed_saved_question_is_deleted(client, admin):
    campaign = CampaignFactory(status="draft", kind="transactional")
    first = Question.objects.create(campaign=campaign, kind="text", text="First", order=1)
    second = Question.objects.create(campaign=campaign, kind="text", text="Second", order=2)
    client.force_login(admin)
    data = _campaign_form(
        campaign,
        **_management(2, initial=2),
        **_question(0, "First", pk=first.pk, order=1, delete=True),
        **_question(1, "Second", pk=second.pk, order=2),
    )
    assert client.post(f"/campaigns/{campaign.pk}/edit/", data).status_code == 302
    assert list(campaign.questions.values_list("text", "order")) == [("Second", 1)]


def test_an_added_question_left_blank_is_left_out(client, admin):
    client.force_login(admin)
    data = _campaign_form(**_management(2), **_question(0, "Kept", order=1), **_question(1, "", order=2, kind=""))
    assert client.post("/campaigns/new/", data).status_code == 302
    assert list(Campaign.objects.get().questions.values_list("text", flat=True)) == ["Kept"]


def test_a_form_sent_back_with_an_error_keeps_the_order_and_the_removal(client, admin):
    client.force_login(admin)
    data = _campaign_form(
        name="",  # the error
        **_management(3),
        **_question(0, "Was first", order=3),
        **_question(1, "Was second", order=1),
        **_question(2, "Removed one", order=2, delete=True),
    )
    response = client.post("/campaigns/new/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert html.index("Was second") < html.index("Removed one") < html.index("Was first")
    removed = html[html.rindex("<fieldset", 0, html.index("Removed one")) :]
    assert removed.startswith('<fieldset class="question border rounded p-3 mb-3 question-removed"')
    assert not Campaign.objects.exists()
