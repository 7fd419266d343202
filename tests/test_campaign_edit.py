"""Admins create and edit campaigns: the form, its driver questions and settings, and the service
behind it (surveys.services.campaign_save), which takes plain values."""

import re

import pytest

from core.models import AuditLog, EmailDelivery, OutboxMessage
from surveys.models import Answer, Campaign, Contact, Invitation, Question, Response
from tests.factories import (
    CampaignFactory,
    ContactFactory,
    InvitationFactory,
    ResponseFactory,
    TouchpointFactory,
    UserFactory,
)


def _form(**overrides):
    data = {
        "name": "Support survey",
        "kind": "transactional",
        "channel": "email",
        "language": "en",
        "quiet_period_days": 30,
        "spread_days": 0,
        "reminder_after_days": 5,
        "segment": "plan=pro",
        "questions-TOTAL_FORMS": "2",
        "questions-INITIAL_FORMS": "0",
        "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "10",
        "questions-0-text": "How satisfied are you?",
        "questions-0-kind": "csat",
        "questions-0-driver": "process",
        "questions-1-text": "What did you use?",
        "questions-1-kind": "multiple",
        "questions-1-driver": "product",
        "questions-1-choices_text": "App\nWeb",
    }
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


# --- Create and edit ----------------------------------------------------------------------------
def test_a_new_campaign_starts_from_the_operators_defaults(client, admin, settings):
    settings.KRINGLOOP = {**settings.KRINGLOOP, "QUIET_PERIOD_DAYS": 45, "REMINDER_AFTER_DAYS": 3}
    client.force_login(admin)
    html = client.get("/campaigns/new/").content.decode()
    assert re.search(r'name="quiet_period_days" value="45"', html)
    assert re.search(r'name="reminder_after_days" value="3"', html)
    assert "How likely is it that you would recommend Acme to a friend or colleague?" in html  # placeholder


def test_an_empty_reminder_means_no_reminder_and_empty_wording_the_default(client, admin):
    client.force_login(admin)
    client.post("/campaigns/new/", _form(touchpoint=TouchpointFactory().pk, reminder_after_days="", language="nl"))
    campaign = Campaign.objects.get()
    assert campaign.reminder_after_days is None and campaign.question == ""
    html = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "Hoe waarschijnlijk is het dat u Acme zou aanbevelen aan een vriend of collega?" in html
    assert "none" in html  # the reminder setting


def test_editing_changes_the_wording_and_is_audited(client, admin):
    campaign = CampaignFactory(status="active", kind="transactional")
    question = Question.objects.create(campaign=campaign, kind="csat", text="Old wording", order=1)
    client.force_login(admin)
    data = _form(
        touchpoint=campaign.touchpoint.pk,
        name="Renamed",
        question="Would you recommend {company}?",
        **{
            "questions-TOTAL_FORMS": "1",
            "questions-INITIAL_FORMS": "1",
            "questions-0-id": question.pk,
            "questions-0-text": "New wording",
            "questions-0-kind": "csat",
            "questions-0-driver": "process",
        },
    )
    response = client.post(f"/campaigns/{campaign.pk}/edit/", data)
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.name, campaign.question, campaign.status) == (
        "Renamed",
        "Would you recommend {company}?",
        "active",
    )
    assert list(campaign.questions.values_list("text", flat=True)) == ["New wording"]
    entry = AuditLog.objects.get(action="campaign.updated")
    assert "name" in entry.data["changed"] and entry.data["questions_changed"] is True


def test_a_closed_campaign_cannot_be_edited(client, admin):
    campaign = CampaignFactory(status="closed", name="Finished")
    client.force_login(admin)
    response = client.post(f"/campaigns/{campaign.pk}/edit/", _form(touchpoint=campaign.touchpoint.pk), follow=True)
    assert "A closed campaign cannot be edited" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.name == "Finished"


def _with_one_question(campaign, question, **fields):
    """The edit form's data with the campaign's one existing question, as `fields` change it."""
    row = {"text": question.text, "kind": question.kind, "driver": question.driver, **fields}
    return _form(
        touchpoint=campaign.touchpoint.pk,
        **{
            "questions-TOTAL_FORMS": "1",
            "questions-INITIAL_FORMS": "1",
            "questions-0-id": question.pk,
            **{f"questions-0-{name}": value for name, value in row.items()},
        },
    )


def _answered_question(campaign, **fields):
    question = Question.objects.create(campaign=campaign, order=1, **{"kind": "csat", "text": "Satisfied?", **fields})
    response = ResponseFactory(campaign=campaign)
    Answer.objects.create(response=response, question=question, number=4)
    return question


def test_a_question_with_answers_cannot_be_deleted(client, admin):
    campaign = CampaignFactory(status="active", kind="transactional")
    question = _answered_question(campaign)
    client.force_login(admin)
    data = _with_one_question(campaign, question, DELETE="on")
    response = client.post(f"/campaigns/{campaign.pk}/edit/", data)
    assert response.status_code == 400
    assert "already has answers and cannot be deleted" in response.content.decode()
    assert campaign.questions.count() == 1


def test_a_question_without_answers_can_be_deleted(client, admin):
    campaign = CampaignFactory(status="draft", kind="transactional")
    question = Question.objects.create(campaign=campaign, kind="text", text="Remove me")
    client.force_login(admin)
    data = _with_one_question(campaign, question, DELETE="on")
    assert client.post(f"/campaigns/{campaign.pk}/edit/", data).status_code == 302
    assert not campaign.questions.exists()


def test_an_answered_question_keeps_its_kind(client, admin):
    campaign = CampaignFactory(status="active", kind="transactional")
    question = _answered_question(campaign)
    client.force_login(admin)
    data = _with_one_question(campaign, question, kind="text")
    response = client.post(f"/campaigns/{campaign.pk}/edit/", data)
    assert response.status_code == 400 and "its kind cannot change" in response.content.decode()
    question.refresh_from_db()
    assert question.kind == "csat"


@pytest.mark.parametrize(
    "overrides,field,message",
    [
        ({"kind": "transactional", "touchpoint": ""}, "touchpoint", "choose its touchpoint"),
        ({"kind": "transactional", "recurrence_days": "90"}, "recurrence_days", "Only relational campaigns recur"),
        ({"kind": "transactional", "spread_days": "3"}, "spread_days", "Only relational campaigns are spread"),
        ({"kind": "relational", "recurrence_days": "7", "spread_days": "10"}, "spread_days", "fewer days than"),
        ({"reminder_after_days": "0"}, "reminder_after_days", "greater than or equal to 1"),
        ({"question": "Would you recommend {brand}?"}, "question", "The only placeholder is {company}"),
    ],
)
def test_it_explains_invalid_settings(client, admin, overrides, field, message):
    client.force_login(admin)
    data = _form(touchpoint=TouchpointFactory().pk)
    data.update(overrides)
    response = client.post("/campaigns/new/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Campaign.objects.exists()


def test_a_relational_campaign_recurs_spread_over_days(client, admin):
    client.force_login(admin)
    client.post(
        "/campaigns/new/",
        _form(kind="relational", recurrence_days="90", spread_days="14", segment="plan=pro, region=EU"),
    )
    campaign = Campaign.objects.get()
    assert (campaign.recurrence_days, campaign.spread_days) == (90, 14)
    assert campaign.audience_filter == {"plan": "pro", "region": "EU"}


# --- The service, with plain values (no form) ---------------------------------------------------
def _question(text, kind="csat", **values):
    return {"text": text, "kind": kind, "driver": "process", "required": False, "choices": [], **values}


def test_a_campaign_is_saved_from_plain_values_with_its_questions_in_order(admin, db):
    from surveys.services import campaign_save

    campaign = campaign_save(
        actor=admin,
        name="Plain",
        kind="relational",
        channel="email",
        audience_filter={"plan": "pro"},
        questions=[_question("First?"), _question("Second?", kind="single", choices=["A", "B"])],
    )
    campaign = Campaign.objects.get(pk=campaign.pk)
    assert (campaign.name, campaign.status, campaign.created_by, campaign.audience_filter) == (
        "Plain",
        "draft",
        admin,
        {"plan": "pro"},
    )
    assert list(campaign.questions.values_list("order", "text", "choices")) == [
        (1, "First?", []),
        (2, "Second?", ["A", "B"]),
    ]
    assert AuditLog.objects.get(action="campaign.created").data["questions_changed"] is True


def test_the_audit_names_only_what_changed(admin, db):
    from surveys.services import campaign_save

    campaign = CampaignFactory(name="Old", language="en")
    question = Question.objects.create(campaign=campaign, kind="csat", driver="process", text="Same", order=1)
    campaign_save(
        actor=admin,
        campaign_id=campaign.pk,
        name="New",
        language="en",
        questions=[{"id": question.pk, **_question("Same")}],
    )
    assert AuditLog.objects.get(action="campaign.updated").data == {"changed": ["name"], "questions_changed": False}


def test_a_question_added_on_the_form_comes_after_the_existing_ones(client, admin):
    campaign = CampaignFactory(status="draft", kind="transactional")
    first = Question.objects.create(campaign=campaign, kind="csat", text="Existing", order=1)
    client.force_login(admin)
    data = _form(
        touchpoint=campaign.touchpoint.pk,
        **{
            "questions-INITIAL_FORMS": "1",
            "questions-0-id": first.pk,
            "questions-0-text": "Existing",
            "questions-0-kind": "csat",
            "questions-0-driver": "process",
            "questions-1-text": "Added",
            "questions-1-kind": "csat",
            "questions-1-choices_text": "",
        },
    )
    assert client.post(f"/campaigns/{campaign.pk}/edit/", data).status_code == 302
    assert list(campaign.questions.values_list("order", "text")) == [(1, "Existing"), (2, "Added")]


@pytest.mark.parametrize("change", ["delete", "kind"])
def test_the_service_keeps_answered_questions_whatever_it_is_given(admin, db, change):
    from django.core.exceptions import ValidationError

    from surveys.services import campaign_save

    campaign = CampaignFactory(name="Asked")
    question = Question.objects.create(campaign=campaign, kind="csat", text="Answered", order=1)
    Answer.objects.create(response=ResponseFactory(campaign=campaign), question=question, number=4)
    questions = [] if change == "delete" else [{"id": question.pk, **_question("Answered", kind="text")}]
    with pytest.raises(ValidationError):
        campaign_save(actor=admin, campaign_id=campaign.pk, name="Renamed", questions=questions)
    campaign.refresh_from_db()
    assert campaign.name == "Asked"
    assert list(campaign.questions.values_list("kind", flat=True)) == ["csat"]


def test_the_service_refuses_to_change_a_closed_campaign(admin, db):
    from django.core.exceptions import ValidationError

    from surveys.services import campaign_save

    campaign = CampaignFactory(status="closed", name="Done")
    with pytest.raises(ValidationError):
        campaign_save(actor=admin, campaign_id=campaign.pk, name="Reopened?")
    campaign.refresh_from_db()
    assert campaign.name == "Done"


@pytest.mark.parametrize("status", [s for s, _label in Campaign.Status.choices])
def test_the_edit_button_shows_exactly_when_the_edit_page_opens(client, admin, status):
    campaign = CampaignFactory(status=status)
    client.force_login(admin)
    offered = f"/campaigns/{campaign.pk}/edit/" in client.get(f"/campaigns/{campaign.pk}/").content.decode()
    opens = client.get(f"/campaigns/{campaign.pk}/edit/").status_code == 200
    assert offered == opens == (status != "closed")
