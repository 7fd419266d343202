"""One e-mail address rule for the demo data, the staff form, the API's upsert and the CSV import:
what the e-mail provider can deliver (internationalised domains always; a UTF-8 local part only with
SMTPUTF8), and a rejection says why."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from demo.people import demo_address
from surveys.addresses import address_problem, normalise
from surveys.imports import import_run
from surveys.models import Contact, ContactImport
from tests.api_fixtures import api, api_as, token_for  # noqa: F401

UTF8_LOCAL = "zoë.jansen@example.nl"
IDN = "info@bloemenwinkel-müller.de"


@pytest.fixture
def utf8(settings):
    settings.EMAIL_SMTPUTF8 = True


@pytest.fixture
def ascii_only(settings):
    settings.EMAIL_SMTPUTF8 = False


def test_an_internationalised_domain_is_always_accepted(settings):
    for smtputf8 in (True, False):
        settings.EMAIL_SMTPUTF8 = smtputf8
        assert address_problem(IDN) == ""
        assert address_problem("Jan@Example.COM".lower()) == ""


def test_a_utf8_local_part_only_when_the_provider_supports_smtputf8(settings):
    settings.EMAIL_SMTPUTF8 = True
    assert address_problem(UTF8_LOCAL) == ""
    settings.EMAIL_SMTPUTF8 = False
    assert "SMTPUTF8" in address_problem(UTF8_LOCAL)


@pytest.mark.parametrize(
    "value,reason",
    [
        ("", "“(empty)” is not a valid e-mail address"),
        ("jan.example.com", "is not a valid e-mail address"),
        ("jan@", "is not a valid e-mail address"),
        ("jan@exa mple.com", "is not a valid e-mail address"),
        ("jan..de.vries@example.com", "is not a valid e-mail address"),
        ("jan@" + "a" * 64 + ".com", "is not a valid domain name"),
        ("j" * 250 + "@example.com", "is longer than 254 characters"),
    ],
)
def test_a_rejection_says_why(value, reason, utf8):
    assert reason in address_problem(value)


def test_the_setting_follows_the_backend_by_default():
    """The outbox (demo) and test backends deliver nothing, so they take any address; see settings."""
    from django.conf import settings

    assert settings.EMAIL_SMTPUTF8 is True  # the test settings use the outbox


# --- The same rule everywhere ------------------------------------------------------------------
def test_the_demo_seed_makes_addresses_the_rule_accepts(settings):
    settings.EMAIL_SMTPUTF8 = True
    assert demo_address("Zoë", "Jansen", 3, "Northwind") == "zoë.jansen.3@northwind.example"
    settings.EMAIL_SMTPUTF8 = False
    assert demo_address("Zoë", "van Dijk", 3, "Northwind") == "zoe.vandijk.3@northwind.example"
    assert address_problem(demo_address("Zoë", "Jansen", 3, "Northwind")) == ""


def test_the_api_upsert_accepts_what_the_rule_accepts_and_returns_it(api, utf8):
    response = api.post("/api/contacts/upsert/", {"contacts": [{"email": "Zoë.Jansen@Example.nl"}]}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["created"] == 1
    contact = Contact.objects.get()
    assert contact.email == UTF8_LOCAL
    assert api.get(f"/api/contacts/{contact.pk}/").json()["email"] == UTF8_LOCAL
    response = api.post("/api/contacts/upsert/", {"contacts": [{"email": IDN}]}, format="json")
    assert response.json()["created"] == 1


def test_the_api_upsert_says_why_it_rejects(api, ascii_only):
    response = api.post(
        "/api/contacts/upsert/", {"contacts": [{"email": UTF8_LOCAL}, {"email": "ok@example.com"}]}, format="json"
    )
    body = response.json()
    assert body["created"] == 1, body
    [error] = body["errors"]
    assert "SMTPUTF8" in str(error), error


def _import(client, csv: str) -> tuple[str, ContactImport]:
    client.post("/contacts/import/", {"file": SimpleUploadedFile("c.csv", csv.encode(), content_type="text/csv")})
    record = ContactImport.objects.latest("pk")
    mapping = {"match_on": "email", "col_0": "email", "col_1": "name"}
    check = client.post(f"/contacts/import/{record.pk}/", {**mapping, "action": "check"}).content.decode()
    client.post(f"/contacts/import/{record.pk}/", {**mapping, "action": "import"})
    return check, import_run(import_id=record.pk)


@pytest.fixture
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_the_import_accepts_what_the_rule_accepts(client, admin, utf8, _media_in_tmp):
    client.force_login(admin)
    _import(client, f"email,name\n{UTF8_LOCAL},Zoë\n{IDN},Müller\n")
    assert sorted(Contact.objects.values_list("email", flat=True)) == sorted([IDN, UTF8_LOCAL])


def test_the_import_says_why_it_rejects(client, admin, ascii_only, _media_in_tmp):
    client.force_login(admin)
    check, _record = _import(client, f"email,name\n{UTF8_LOCAL},Zoë\n{IDN},Müller\n")
    assert "SMTPUTF8" in check
    assert list(Contact.objects.values_list("email", flat=True)) == [IDN]


def test_the_staff_form_uses_the_same_rule(client, admin, utf8):
    client.force_login(admin)
    response = client.post("/contacts/new/", {"email": " Zoë.Jansen@example.nl ", "name": "Zoë", "language": "nl"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Contact.objects.get().email == normalise(UTF8_LOCAL)
