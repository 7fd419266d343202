"""Admins build campaigns in the product: create, edit questions, preview, duplicate, change status."""

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


# --- List ---------------------------------------------------------------------------------------
def test_the_list_counts_invitations_answers_and_rate_in_sql(client, admin, django_assert_max_num_queries):
    campaign = CampaignFactory(name="Renewal pulse", status="active")
    invitations = [InvitationFactory(campaign=campaign) for _ in range(4)]
    InvitationFactory(campaign=campaign, status="skipped", sent_at=None)
    ResponseFactory(campaign=campaign, contact=invitations[0].contact, invitation=invitations[0])
    ResponseFactory(campaign=campaign, contact=None)  # anonymous link: answered, not invited
    CampaignFactory(name="Fresh draft", status="draft")
    client.force_login(admin)
    with django_assert_max_num_queries(8):
        html = client.get("/campaigns/").content.decode()
    row = html[html.index("Renewal pulse") : html.index("</tr>", html.index("Renewal pulse"))]
    assert re.findall(r'<td class="text-end">([^<]*)</td>', row) == ["4", "2", "25 %"]
    assert "text-bg-success" in row and "Active" in row
    draft = html[html.index("Fresh draft") : html.index("</tr>", html.index("Fresh draft"))]
    assert re.findall(r'<td class="text-end">([^<]*)</td>', draft) == ["0", "0", "—"]
    assert 'href="/campaigns/new/"' in html


def test_the_list_has_an_empty_state(client, admin):
    client.force_login(admin)
    assert "No campaigns yet" in client.get("/campaigns/").content.decode()


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


# --- Duplicate, status, detail ------------------------------------------------------------------
def test_duplicating_is_audited_and_needs_a_post(client, admin):
    campaign = CampaignFactory()
    client.force_login(admin)
    assert client.get(f"/campaigns/{campaign.pk}/duplicate/").status_code == 405
    response = client.post(f"/campaigns/{campaign.pk}/duplicate/")
    copy = Campaign.objects.exclude(pk=campaign.pk).get()
    assert response["Location"] == f"/campaigns/{copy.pk}/edit/"
    assert AuditLog.objects.get(action="campaign.duplicated").data == {"from": campaign.pk}


def test_an_allowed_status_change_is_applied_and_audited(client, admin):
    campaign = CampaignFactory(status="draft", channel="web")
    client.force_login(admin)
    response = client.post(f"/campaigns/{campaign.pk}/status/", {"status": "active"}, follow=True)
    assert "The campaign is now active" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == "active"
    assert AuditLog.objects.get(action="campaign.status").data == {"from": "draft", "to": "active"}


def test_a_paused_link_only_campaign_is_reopened_with_a_button(client, admin):
    campaign = CampaignFactory(status="paused", channel="qr", anonymous_link_enabled=True)
    client.force_login(admin)
    client.post(f"/campaigns/{campaign.pk}/status/", {"status": "active"})
    campaign.refresh_from_db()
    assert campaign.status == "active"


@pytest.mark.parametrize(
    "current,target",
    [
        ("draft", "scheduled"),
        ("draft", "sending"),
        ("paused", "active"),
        ("paused", "sending"),
        ("scheduled", "draft"),
        ("sending", "active"),
        ("sending", "paused"),
    ],
)
def test_changes_that_need_the_sending_machinery_are_left_to_the_send_panel(client, admin, current, target):
    campaign = CampaignFactory(status=current)
    client.force_login(admin)
    response = client.post(f"/campaigns/{campaign.pk}/status/", {"status": target}, follow=True)
    assert "done with the buttons of the Send panel" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == current and not AuditLog.objects.filter(action="campaign.status").exists()


@pytest.mark.parametrize(
    "current,channel,offered",
    [
        ("draft", "email", {"active", "closed"}),
        ("active", "email", {"paused", "closed"}),
        ("sending", "email", {"closed"}),
        ("paused", "email", {"closed"}),
        ("paused", "web", {"active", "closed"}),
        ("closed", "email", set()),
    ],
)
def test_the_detail_page_offers_only_allowed_status_changes(client, admin, current, channel, offered):
    campaign = CampaignFactory(status=current, channel=channel)
    client.force_login(admin)
    html = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert set(re.findall(r'name="status" value="(\w+)"', html)) == offered


def test_the_detail_page_shows_the_public_link_and_its_qr_code_only_when_enabled(client, admin):
    campaign = CampaignFactory(anonymous_link_enabled=True)
    client.force_login(admin)
    html = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert f"http://testserver/a/{campaign.anonymous_token}/" in html
    assert f'src="/campaigns/{campaign.pk}/qr.svg"' in html
    qr = client.get(f"/campaigns/{campaign.pk}/qr.svg?download=1")
    assert qr["Content-Type"] == "image/svg+xml" and qr.content.startswith(b"<?xml")
    assert "attachment" in qr["Content-Disposition"]
    campaign.anonymous_link_enabled = False
    campaign.save()
    assert campaign.anonymous_token not in client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert client.get(f"/campaigns/{campaign.pk}/qr.svg").status_code == 404


# --- Preview -------------------------------------------------------------------------------------
def test_the_preview_email_is_the_invitation_as_sent_and_nothing_is_stored(client, admin):
    campaign = CampaignFactory(question="Would you recommend {company}?", email_subject="Quick question")
    client.force_login(admin)
    page = client.get(f"/campaigns/{campaign.pk}/preview/").content.decode()
    assert f'src="/campaigns/{campaign.pk}/preview/email/?lang=en"' in page
    assert "Quick question" in page and "Plain-text part" in page
    email = client.get(f"/campaigns/{campaign.pk}/preview/email/?lang=en")
    assert email["Content-Type"].startswith("text/html")
    assert email["X-Frame-Options"] == "SAMEORIGIN"
    html = email.content.decode()
    assert "Would you recommend Acme?" in html
    assert len(re.findall(r"\?score=\d+", html)) >= 11  # the 0–10 scale as links
    assert (Invitation.objects.count(), Contact.objects.count(), Response.objects.count()) == (0, 0, 0)
    assert not OutboxMessage.objects.exists() and not EmailDelivery.objects.exists()


def test_the_preview_speaks_the_chosen_language(client, admin):
    campaign = CampaignFactory(language="en")
    client.force_login(admin)
    email = client.get(f"/campaigns/{campaign.pk}/preview/email/?lang=nl").content.decode()
    form = client.get(f"/campaigns/{campaign.pk}/preview/form/?lang=nl").content.decode()
    dutch = "Hoe waarschijnlijk is het dat u Acme zou aanbevelen aan een vriend of collega?"
    assert dutch in email and dutch in form
    unknown = client.get(f"/campaigns/{campaign.pk}/preview/form/?lang=xx").content.decode()
    assert "How likely is it that you would recommend Acme" in unknown


def test_the_preview_walks_through_the_driver_questions_and_thanks_without_storing(client, admin):
    campaign = CampaignFactory(promoter_link="https://reviews.example.com/acme", thanks_detractor="Sorry, {company}.")
    csat = Question.objects.create(campaign=campaign, kind="csat", text="Satisfied with <support>?", required=True)
    Question.objects.create(campaign=campaign, kind="single", text="Channel?", choices=["Phone", "Chat"], order=2)
    client.force_login(admin)
    page = client.get(f"/campaigns/{campaign.pk}/preview/why/").content.decode()
    assert "Satisfied with &lt;support&gt;?" in page and "Phone" in page and "answers are not recorded" in page
    refused = client.post(f"/campaigns/{campaign.pk}/preview/why/", {"comment": "fine"})
    assert refused.status_code == 400
    accepted = client.post(f"/campaigns/{campaign.pk}/preview/why/?lang=en", {"comment": "ok", f"q{csat.pk}": "4"})
    assert accepted.status_code == 302 and "/preview/thanks/" in accepted["Location"]
    promoter = client.get(f"/campaigns/{campaign.pk}/preview/thanks/?category=promoter").content.decode()
    assert "https://reviews.example.com/acme" in promoter
    detractor = client.get(f"/campaigns/{campaign.pk}/preview/thanks/?category=detractor").content.decode()
    assert "Sorry, Acme." in detractor and "reviews.example.com" not in detractor
    assert (Response.objects.count(), Answer.objects.count(), Invitation.objects.count()) == (0, 0, 0)


# --- Who may ----------------------------------------------------------------------------------------
CAMPAIGN_URLS = [
    "/campaigns/{pk}/",
    "/campaigns/{pk}/edit/",
    "/campaigns/{pk}/preview/",
    "/campaigns/{pk}/preview/form/",
    "/campaigns/{pk}/preview/email/",
    "/campaigns/{pk}/preview/why/",
    "/campaigns/{pk}/preview/thanks/",
    "/campaigns/{pk}/qr.svg",
    "/campaigns/{pk}/progress/",
]
CAMPAIGN_POSTS = ["/campaigns/{pk}/status/", "/campaigns/{pk}/duplicate/", "/campaigns/{pk}/edit/"]


@pytest.mark.parametrize("persona", ["agent", "agent_b", "viewer", "outsider"])
def test_only_admins_open_any_campaign_page(client, personas, persona):
    campaign = CampaignFactory(status="draft", anonymous_link_enabled=True)
    client.force_login(personas[persona])
    for url in CAMPAIGN_URLS + ["/campaigns/", "/campaigns/new/"]:
        assert client.get(url.format(pk=campaign.pk)).status_code == 403, url
    for url in CAMPAIGN_POSTS:
        assert client.post(url.format(pk=campaign.pk), {"status": "closed"}).status_code == 403, url
    campaign.refresh_from_db()
    assert campaign.status == "draft" and Campaign.objects.count() == 1


def test_anonymous_visitors_are_sent_to_login_from_campaign_pages(client, db):
    campaign = CampaignFactory(anonymous_link_enabled=True)
    for url in CAMPAIGN_URLS:
        response = client.get(url.format(pk=campaign.pk))
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


def test_the_django_admin_lists_the_survey_records(client, db):
    CampaignFactory()
    ContactFactory()
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(superuser)
    for model in (
        "campaign",
        "contact",
        "contactlist",
        "contactimport",
        "invitation",
        "response",
        "touchpoint",
        "sendwave",
    ):
        assert client.get(f"/django-admin/surveys/{model}/").status_code == 200, model


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
