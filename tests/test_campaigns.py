"""Admins run campaigns in the product: the list, duplicate, change status, the detail page, preview,
who may. Creating and editing (and campaign_save) are in test_campaign_edit.py."""

import re

import pytest

from core.models import AuditLog, EmailDelivery, OutboxMessage
from surveys.models import Answer, Campaign, Contact, Invitation, Question, Response, ReviewSite
from tests.factories import (
    CampaignFactory,
    ContactFactory,
    InvitationFactory,
    ResponseFactory,
    TouchpointFactory,
    UserFactory,
)


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
    campaign = CampaignFactory(thanks_detractor="Sorry, {company}.")
    ReviewSite.objects.create(campaign=campaign, name="Acme reviews", url="https://reviews.example.com/acme")
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


def test_the_status_service_leaves_sending_to_the_send_panel_and_refuses_unknown_statuses(admin, db):
    from django.core.exceptions import ValidationError

    from surveys.sending import campaign_status_set

    campaign = CampaignFactory(status="draft")
    for target in ("sending", "scheduled", "no-such-status"):
        with pytest.raises(ValidationError):
            campaign_status_set(campaign=campaign, to=target, actor=admin)
    assert Campaign.objects.get(pk=campaign.pk).status == "draft"
    campaign_status_set(campaign=campaign, to="active", actor=admin)
    assert Campaign.objects.get(pk=campaign.pk).status == "active"
    assert AuditLog.objects.filter(action="campaign.status", data__to="active").exists()
