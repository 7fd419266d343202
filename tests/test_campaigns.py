"""Admins build campaigns in the product: create, edit questions, preview, duplicate, change status."""

import pytest

from core.models import AuditLog
from surveys.models import Campaign, Question, Response
from tests.factories import CampaignFactory, TouchpointFactory


def _form(**overrides):
    data = {"name": "Support survey", "kind": "transactional", "channel": "email", "language": "en",
            "quiet_period_days": 30, "spread_days": 0, "reminder_after_days": 5, "segment": "plan=pro",
            "questions-TOTAL_FORMS": "2", "questions-INITIAL_FORMS": "0", "questions-MIN_NUM_FORMS": "0",
            "questions-MAX_NUM_FORMS": "10",
            "questions-0-text": "How satisfied are you?", "questions-0-kind": "csat", "questions-0-driver": "process",
            "questions-1-text": "What did you use?", "questions-1-kind": "multiple", "questions-1-driver": "product",
            "questions-1-choices_text": "App\nWeb"}
    data.update(overrides)
    return data


def test_admin_creates_a_campaign_with_driver_questions(client, admin):
    client.force_login(admin)
    response = client.post("/campaigns/new/", _form(touchpoint=TouchpointFactory().pk))
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert campaign.status == "draft" and campaign.audience_filter == {"plan": "pro"}
    assert list(campaign.questions.values_list("kind", "choices")) == [("csat", []), ("multiple", ["App", "Web"])]
    assert AuditLog.objects.filter(action="campaign.created").exists()


def test_a_choice_question_needs_choices(client, admin):
    client.force_login(admin)
    response = client.post("/campaigns/new/", _form(**{"questions-1-choices_text": ""}))
    assert response.status_code == 400
    assert "at least two choices" in response.content.decode()
    assert not Campaign.objects.exists()


def test_more_than_ten_questions_are_refused(client, admin):
    client.force_login(admin)
    data = _form(**{"questions-TOTAL_FORMS": "11"})
    for i in range(11):
        data[f"questions-{i}-text"] = f"Q{i}"
        data[f"questions-{i}-kind"] = "text"
        data[f"questions-{i}-driver"] = "other"
    response = client.post("/campaigns/new/", data)
    assert response.status_code == 400
    assert not Campaign.objects.exists()


def test_a_bad_segment_filter_is_explained(client, admin):
    client.force_login(admin)
    response = client.post("/campaigns/new/", _form(segment="plan pro"))
    assert response.status_code == 400
    assert "is not attribute=value" in response.content.decode()


def test_duplicate_makes_a_new_draft_with_the_questions(client, admin):
    campaign = CampaignFactory(status="active", anonymous_link_enabled=True)
    Question.objects.create(campaign=campaign, kind="text", text="Anything else?")
    client.force_login(admin)
    client.post(f"/campaigns/{campaign.pk}/duplicate/")
    copy = Campaign.objects.exclude(pk=campaign.pk).get()
    assert copy.status == "draft" and copy.name.endswith("(copy)")
    assert copy.anonymous_token != campaign.anonymous_token
    assert list(copy.questions.values_list("text", flat=True)) == ["Anything else?"]


def test_status_buttons_follow_the_state_machine(client, admin):
    campaign = CampaignFactory(status="active")
    client.force_login(admin)
    client.post(f"/campaigns/{campaign.pk}/status/", {"status": "paused"})
    campaign.refresh_from_db()
    assert campaign.status == "paused"
    response = client.post(f"/campaigns/{campaign.pk}/status/", {"status": "draft"}, follow=True)
    assert "cannot become draft" in response.content.decode()
    client.post(f"/campaigns/{campaign.pk}/status/", {"status": "nonsense"})
    campaign.refresh_from_db()
    assert campaign.status == "paused"


def test_the_preview_shows_email_and_form_and_saves_nothing(client, admin):
    campaign = CampaignFactory(question="Would you recommend {company}?")
    client.force_login(admin)
    page = client.get(f"/campaigns/{campaign.pk}/preview/?lang=nl")
    assert page.status_code == 200
    form = client.get(f"/campaigns/{campaign.pk}/preview/form/?score=8")
    assert "Would you recommend Acme?" in form.content.decode()
    assert "Preview" in form.content.decode()
    assert Response.objects.count() == 0


@pytest.mark.parametrize("persona", ["agent", "viewer"])
def test_non_admins_cannot_open_campaign_pages(client, personas, persona):
    campaign = CampaignFactory()
    client.force_login(personas[persona])
    assert client.get(f"/campaigns/{campaign.pk}/").status_code == 403
    assert client.post(f"/campaigns/{campaign.pk}/send/").status_code == 403
