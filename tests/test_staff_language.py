"""Staff read the product in the language of their preferences; respondents keep theirs."""

from datetime import UTC, datetime
from datetime import timezone as dt_timezone

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from freezegun import freeze_time

from core.i18n import for_user, user_language
from core.models import OutboxMessage
from surveys.models import ContactImport, Invitation
from tests.factories import CampaignFactory, ContactFactory, InvitationFactory


def _html(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


# --- The preference takes effect ------------------------------------------------------------------
def test_a_dutch_preferring_user_sees_dutch_navigation_and_pages(client, dutch_admin):
    client.force_login(dutch_admin)
    html = _html(client, "/campaigns/")
    assert '<html lang="nl">' in html
    assert ">Campagnes</a>" in html and ">Contacten</a>" in html and "Gebruikers en teams" in html
    assert ">Campaigns</a>" not in html and "Users and teams" not in html
    assert "Beheerder" in html  # the role badge


def test_an_english_preferring_user_keeps_english_even_with_a_dutch_browser(client, admin):
    client.force_login(admin)
    html = client.get("/campaigns/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert ">Campaigns</a>" in html and "New campaign" in html
    assert "Nieuwe campagne" not in html


def test_saving_the_preference_switches_the_language_and_back(client, admin):
    client.force_login(admin)
    response = client.post("/profile/", {"language": "nl"}, follow=True)
    html = response.content.decode()
    assert "Voorkeuren opgeslagen." in html and "Uw voorkeuren" in html
    assert client.cookies["django_language"].value == "nl"
    assert "Nieuwe campagne" in _html(client, "/campaigns/")

    response = client.post("/profile/", {"language": "en"}, follow=True)
    assert "Preferences saved." in response.content.decode()
    assert client.cookies["django_language"].value == "en"
    html = _html(client, "/campaigns/")
    assert "New campaign" in html and "Nieuwe campagne" not in html


def test_logging_in_starts_in_the_saved_language_and_sets_the_cookie(client, dutch_admin):
    response = client.post("/login/", {"username": "dirk-beheer", "password": "pw-for-tests"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "nl"
    assert "Nieuwe campagne" in _html(client, "/campaigns/")


def test_the_login_page_follows_the_browser(client):
    assert ">Inloggen</button>" in client.get("/login/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert ">Log in</button>" in client.get("/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_after_logging_out_the_login_page_stays_in_the_users_language(client, dutch_admin):
    client.force_login(dutch_admin)
    client.get("/campaigns/")  # sets the language cookie
    client.post("/logout/")
    html = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ">Inloggen</button>" in html


# --- Respondents keep their own language ------------------------------------------------------------
def test_a_respondent_page_follows_the_contact_not_the_staff_member(client, dutch_admin):
    english = InvitationFactory(campaign=CampaignFactory(language="nl"), contact=ContactFactory(language="en"))
    client.force_login(dutch_admin)
    client.cookies["django_language"] = "nl"
    html = _html(client, f"/s/{english.token}/")
    assert "How likely is it that you would recommend" in html and '<html lang="en">' in html
    assert "Hoe waarschijnlijk" not in html


def test_a_respondent_page_is_dutch_for_a_dutch_contact_while_an_english_admin_is_logged_in(client, admin):
    dutch = InvitationFactory(campaign=CampaignFactory(language="en"), contact=ContactFactory(language="nl"))
    client.force_login(admin)
    client.cookies["django_language"] = "en"
    html = _html(client, f"/s/{dutch.token}/")
    assert "Hoe waarschijnlijk" in html and '<html lang="nl">' in html


def test_the_campaign_preview_keeps_the_campaigns_language_inside_a_dutch_page(client, dutch_admin):
    campaign = CampaignFactory(language="en")
    client.force_login(dutch_admin)
    page = _html(client, f"/campaigns/{campaign.pk}/preview/")
    assert "Uitnodigingsmail" in page and "in het Engels" in page
    frame = _html(client, f"/campaigns/{campaign.pk}/preview/form/")
    assert "How likely is it that you would recommend" in frame


# --- Staff pages have no English left for a Dutch reader -------------------------------------------
PAGES = {
    "/campaigns/": (
        ["Campagnes", "Nieuwe campagne", "Soort", "Contactmoment", "Respons"],
        ["New campaign", "Response rate", "Touchpoint<"],
    ),
    "/campaigns/new/": (
        [
            "Nieuwe campagne",
            "Enquête",
            "Uitnodigingsmail",
            "Bedankpagina",
            "Doelgroep en planning",
            "Verdiepingsvragen",
            "Campagne opslaan",
            "Annuleren",
            "Rustperiode (dagen)",
            "Relationeel",
            "Vraag toevoegen",  # a new campaign has no question yet (#30.8)
            "Reviewsite toevoegen",
            "Laat leeg voor de standaard NPS-vraag",
        ],
        ["Save campaign", "Thank-you page", "Quiet period", "Relational", "Leave empty", "Driver questions", "Add a"],
    ),
    "/contacts/": (
        [
            "Contacten",
            "Nieuw contact",
            "CSV importeren",
            "Zoeken",
            "Afgemeld",
            "Onbestelbaar",
            "2 contacten",
            "afgemeld</span>",
        ],
        ["New contact", "Import CSV", "Opted out", "Undeliverable", "2 contacts", "opted out<"],
    ),
    "/contacts/import/": (
        ["Contacten importeren uit CSV", "CSV-bestand", "Uploaden en controleren", "Recente imports"],
        ["Upload and check", "Recent imports", "header row"],
    ),
    "/users/": (
        ["Gebruikers en teams", "Nieuwe gebruiker", "Nieuw team", "Rol", "Beheerder", "Teamleider"],
        ["New user", "New team", "Role<", ">Lead<", ">Members<"],
    ),
    "/outbox/": (
        ["Postvak uit", "Stuur mij een testmail", "Onderwerp", "Wanneer"],
        ["Send me a test e-mail", "Subject<", "No e-mails yet", "Nothing here left"],
    ),
}


@pytest.mark.parametrize("url", list(PAGES))
def test_staff_pages_are_dutch_for_a_dutch_user(client, dutch_admin, url):
    ContactFactory(name="Anna", language="nl")
    ContactFactory(name="Bob", opted_out_at=datetime(2025, 3, 1, tzinfo=UTC))
    CampaignFactory(name="Voorjaarspeiling")
    OutboxMessage.objects.create(
        message_id="<m1@test>", from_email="a@example.com", to="b@example.com", subject="Hallo", body_text="Hallo"
    )
    client.force_login(dutch_admin)
    html = _html(client, url)
    dutch, english = PAGES[url]
    assert [word for word in dutch if word not in html] == []
    assert [word for word in english if word in html] == []


def test_the_campaign_page_and_send_panel_are_dutch(client, dutch_admin):
    campaign = CampaignFactory(name="Voorjaarspeiling", status="draft", reminder_after_days=5, quiet_period_days=30)
    ContactFactory()
    client.force_login(dutch_admin)
    html = _html(client, f"/campaigns/{campaign.pk}/")
    for word in (
        "Verzenden",
        "Doelgroep: <strong>1</strong> contact",
        "Uitnodigingen versturen",
        "na 5 dagen",
        "30 dagen",
        "Openen voor antwoorden",
        "Concept",
        "Nog niet verzonden.",
        "E-mail · Engels",
    ):
        assert word in html, word
    for word in ("Send invitations", "Open for answers", "Not sent yet", "after 5 days", "Draft<"):
        assert word not in html, word


def test_form_errors_and_messages_are_dutch(client, dutch_admin):
    client.force_login(dutch_admin)
    response = client.post(
        "/campaigns/new/",
        {
            "name": "X",
            "kind": "transactional",
            "channel": "email",
            "language": "en",
            "quiet_period_days": 400,
            "spread_days": 0,
            "questions-TOTAL_FORMS": "0",
            "questions-INITIAL_FORMS": "0",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Hoogstens 365 dagen." in html and "kies het contactmoment" in html
    assert "At most 365 days." not in html


# --- Dates and numbers ---------------------------------------------------------------------------------
def test_dates_follow_the_readers_language(client, admin, dutch_admin):
    with freeze_time("2025-03-14 09:30:00"):
        OutboxMessage.objects.create(
            message_id="<m2@test>", from_email="a@example.com", to="b@example.com", subject="Hallo", body_text="Hallo"
        )
    client.force_login(dutch_admin)
    assert "14-3-2025 10:30" in _html(client, "/outbox/")  # Europe/Amsterdam, Dutch short format
    client.force_login(admin)
    assert "2025-03-14 10:30" in _html(client, "/outbox/")


# --- Stored texts and e-mails to staff ---------------------------------------------------------------
def test_a_skip_reason_is_shown_in_the_readers_language(client, dutch_admin):
    contact = ContactFactory()
    InvitationFactory(
        contact=contact, status=Invitation.Status.SKIPPED, sent_at=None, skip_reason="surveyed in the last 30 days"
    )
    client.force_login(dutch_admin)
    assert "in de afgelopen 30 dagen ondervraagd" in _html(client, f"/contacts/{contact.pk}/")


def test_the_import_report_is_written_in_the_language_of_the_admin_who_started_it(
    client, dutch_admin, settings, tmp_path
):
    from surveys.tasks_import import run_contact_import

    settings.MEDIA_ROOT = tmp_path
    client.force_login(dutch_admin)
    client.post("/contacts/import/", {"file": SimpleUploadedFile("c.csv", b"email,name\nok@example.com,A\nbroken,B\n")})
    record = ContactImport.objects.get()
    client.post(
        f"/contacts/import/{record.pk}/", {"match_on": "email", "col_0": "email", "col_1": "name", "action": "import"}
    )
    run_contact_import(record.pk)  # as the worker would, with no language of its own
    record.refresh_from_db()
    assert record.report == [{"row": 3, "errors": ["‘broken’ is geen geldig e-mailadres"]}]


def test_the_test_email_is_in_the_language_of_the_admin_who_asked(db, dutch_admin, outbox_backend):
    from core.emails import send_test_email

    send_test_email(to="ops@example.com", requested_by=dutch_admin.username, key="test-email:nl")
    message = OutboxMessage.objects.get()
    assert message.subject == "Kringloop-testmail"


def test_for_user_renders_in_the_users_language_and_defaults_to_english(db, dutch_admin, admin):
    from django.utils.translation import gettext

    with for_user(dutch_admin):
        assert gettext("Preferences saved.") == "Voorkeuren opgeslagen."
    with for_user(admin):
        assert gettext("Preferences saved.") == "Preferences saved."
    assert user_language(None) == "en"
