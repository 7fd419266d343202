"""Accounts come in by the accounts CSV, by the API's upsert on external id (a churn recorded on
the way), by an account column in the contacts CSV or API, and from contacts' `company` only
through proposals an admin confirms (#24)."""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from surveys.account_proposals import group_companies, look_alikes, proposals_refresh
from surveys.imports import import_run
from surveys.models import Account, AccountProposal, Contact, ContactImport
from tests.api_fixtures import api, api_as, token_for  # noqa: F401
from tests.factories import AccountFactory, ContactFactory, TeamFactory
from tests.webhooks_support import make_endpoint
from webhooks.models import Delivery

pytestmark = pytest.mark.django_db

ACCOUNTS = (
    "external_id,name,segment,arr,currency,owner,team,renewal_date,industry\n"
    "acc-1,Northwind,Enterprise,120000,eur,alice-admin,Team A,2027-03-31,retail\n"
    "acc-2,Acme,SMB,12 500,,,,,\n"
    ",No id,SMB,1,,,,,\n"
    "acc-4,Bad,SMB,lots,USDX,ghost,Nobody,31-12-2027,\n"
    "acc-1,Twice,,,,,,,\n"
)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_the_accounts_csv_creates_and_updates_on_external_id_and_reports_bad_rows(client, admin, team_a):
    client.force_login(admin)
    upload = SimpleUploadedFile("accounts.csv", ACCOUNTS.encode(), content_type="text/csv")
    response = client.post("/accounts/import/", {"file": upload})
    assert response.status_code == 200
    result = response.context["result"]
    assert (result.created, result.updated) == (2, 0)
    assert [e["row"] for e in result.errors] == [4, 5, 6]
    assert len(result.errors[1]["errors"]) == 5  # arr, currency, owner, team, date
    northwind = Account.objects.get(external_id="acc-1")
    assert (northwind.name, northwind.arr, northwind.currency, northwind.owner, northwind.team) == (
        "Northwind",
        120_000,
        "EUR",
        admin,
        team_a,
    )
    assert northwind.renewal_date.isoformat() == "2027-03-31" and northwind.attributes == {"industry": "retail"}
    assert Account.objects.get(external_id="acc-2").arr == 12_500

    again = SimpleUploadedFile("accounts.csv", b"external_id,arr,segment\nacc-1,130000,\n", content_type="text/csv")
    result = client.post("/accounts/import/", {"file": again}).context["result"]
    assert (result.created, result.updated) == (0, 1)
    northwind.refresh_from_db()
    assert (northwind.arr, northwind.segment, northwind.name) == (130_000, "Enterprise", "Northwind")  # empty keeps


def test_the_api_upserts_accounts_and_records_a_churn_once(api, settings):
    settings.SITE_URL = "https://nps.example.com"
    endpoint = make_endpoint(events=["account.churned"])
    body = {
        "accounts": [
            {"external_id": "acc-1", "name": "Northwind", "arr": 50000, "renewal_date": "2027-01-31"},
            {"external_id": "acc-2"},  # new, without a name
            {"name": "no id"},
        ]
    }
    result = api.post("/api/accounts/upsert/", body, format="json").json()
    assert (result["created"], result["updated"]) == (1, 0)
    assert [row["row"] for row in result["errors"]] == [2, 3]

    day = (timezone.localdate() - timedelta(days=2)).isoformat()
    churn = {"accounts": [{"external_id": "acc-1", "status": "churned", "churned_at": day, "churn_reason": "Price"}]}
    assert api.post("/api/accounts/upsert/", churn, format="json").json()["churned"] == 1
    assert api.post("/api/accounts/upsert/", churn, format="json").json()["churned"] == 0  # once
    account = Account.objects.get(external_id="acc-1")
    assert (account.status, account.churned_at.isoformat(), account.churn_reason) == ("churned", day, "Price")
    [delivery] = Delivery.objects.filter(endpoint=endpoint)
    data = json.loads(delivery.body)["data"]["account"]
    assert (data["status"], data["churned_at"], data["arr"]) == ("churned", day, 50000)

    listed = api.get("/api/accounts/", {"status": "churned"}).json()["results"]
    assert [a["external_id"] for a in listed] == ["acc-1"]


def test_the_api_needs_the_account_scopes(api_as):
    assert api_as("contacts:read").get("/api/accounts/").status_code == 403
    assert api_as("accounts:read").post("/api/accounts/upsert/", {"accounts": []}, format="json").status_code == 403


def test_a_contact_row_names_its_account_and_role_in_the_api(api):
    account = AccountFactory(external_id="acc-7", name="Globex")
    rows = {
        "contacts": [
            {"email": "ann@example.com", "account": "acc-7", "account_role": "Decision maker"},
            {"email": "bob@example.com", "account": "globex", "account_role": "champion"},
            {"email": "cy@example.com", "account": "nope"},
            {"email": "di@example.com", "account": "acc-7", "account_role": "boss"},
        ]
    }
    result = api.post("/api/contacts/upsert/", rows, format="json").json()
    assert result["created"] == 2 and [row["row"] for row in result["errors"]] == [3, 4]
    ann = Contact.objects.get(email="ann@example.com")
    assert (ann.account, ann.account_role) == (account, "decision_maker")
    assert Contact.objects.get(email="bob@example.com").account_role == "champion"
    assert api.get(f"/api/contacts/{ann.pk}/").json()["account"] == account.pk


def test_the_contacts_csv_puts_contacts_in_accounts(client, admin):
    account = AccountFactory(external_id="acc-1", name="Northwind")
    kept = ContactFactory(email="bob@example.com", account=account, account_role="user")
    client.force_login(admin)
    content = b"email,account,role\nann@example.com,ACC-1,beslisser\nbob@example.com,,\ncy@example.com,Ghost,\n"
    client.post("/contacts/import/", {"file": SimpleUploadedFile("c.csv", content, content_type="text/csv")})
    record = ContactImport.objects.latest("pk")
    mapping = {"match_on": "email", "col_0": "email", "col_1": "account", "col_2": "account_role"}
    check = client.post(f"/contacts/import/{record.pk}/", {**mapping, "action": "check"}).content.decode()
    assert "Ghost" in check
    client.post(f"/contacts/import/{record.pk}/", {**mapping, "action": "import"})
    import_run(import_id=record.pk)
    ann = Contact.objects.get(email="ann@example.com")
    assert (ann.account, ann.account_role) == (account, "decision_maker")
    kept.refresh_from_db()
    assert (kept.account, kept.account_role) == (account, "user")  # empty cells keep what was stored
    assert not Contact.objects.filter(email="cy@example.com").exists()


# --- Proposals from `company`: confirm-only ---------------------------------------------------------
def test_spellings_that_differ_in_case_and_spaces_are_one_proposal_and_look_alikes_only_listed():
    groups = group_companies({"Acme BV": 3, "acme  bv": 1, "Acme B.V.": 2, "Globex": 1})
    assert [(g["name"], g["contact_count"]) for g in groups] == [("Acme BV", 4), ("Acme B.V.", 2), ("Globex", 1)]
    similar = look_alikes([g["name"] for g in groups])
    assert [j for j, _score in similar[0]] == [1] and 2 not in similar


def test_proposals_never_merge_without_the_admin(client, admin):
    for company in ("Acme BV", "acme bv", "Acme B.V.", "Globex"):
        ContactFactory(company=company)
    ContactFactory(company="Acme BV", account=AccountFactory(name="Already"))
    assert proposals_refresh(actor=admin) == 3
    assert not Account.objects.exclude(name="Already").exists()  # nothing created yet
    acme = AccountProposal.objects.get(name="Acme BV")
    dotted = AccountProposal.objects.get(name="Acme B.V.")
    assert acme.contact_count == 2 and [s["id"] for s in acme.similar] == [dotted.pk]

    client.force_login(admin)
    response = client.post(f"/accounts/proposals/{acme.pk}/", {"decision": "confirm", "name": "Acme"})
    account = Account.objects.get(name="Acme")
    assert response.status_code == 302
    assert set(account.contacts.values_list("company", flat=True)) == {"Acme BV", "acme bv"}  # not the look-alike
    dotted.refresh_from_db()
    assert dotted.status == "pending"

    globex = AccountProposal.objects.get(name="Globex")
    client.post(f"/accounts/proposals/{globex.pk}/", {"decision": "reject"})
    assert proposals_refresh(actor=admin) == 1  # Globex is not proposed again; Acme's contacts have an account
    again = AccountProposal.objects.get(status="pending")
    client.post(f"/accounts/proposals/{again.pk}/", {"decision": "confirm", "merge": []})
    assert Account.objects.get(name="Acme B.V.").contacts.count() == 1


def test_confirming_with_a_ticked_look_alike_puts_both_in_one_account(client, admin):
    for company in ("Acme BV", "Acme B.V."):
        ContactFactory(company=company)
    proposals_refresh(actor=admin)
    acme, dotted = AccountProposal.objects.get(name="Acme BV"), AccountProposal.objects.get(name="Acme B.V.")
    client.force_login(admin)
    client.post(f"/accounts/proposals/{acme.pk}/", {"decision": "confirm", "merge": [str(dotted.pk)]})
    account = Account.objects.get()
    assert account.contacts.count() == 2
    assert set(AccountProposal.objects.values_list("status", flat=True)) == {"confirmed"}


def test_only_admins_see_proposals_and_imports(client, agent):
    client.force_login(agent)
    assert client.get("/accounts/proposals/").status_code == 403
    assert client.get("/accounts/import/").status_code == 403
