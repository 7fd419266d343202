"""Contacts through the API: list and read, bulk upsert (up to 1,000, per-row errors), opt-out."""

import pytest
from django.utils import timezone

from core.models import AuditLog
from surveys.models import Contact
from tests.api_fixtures import api, api_as, token_for  # noqa: F401
from tests.factories import ContactFactory, UserFactory

pytestmark = pytest.mark.django_db

UPSERT = "/api/contacts/upsert/"


def _upsert(api, contacts, **extra):
    return api.post(UPSERT, {"contacts": contacts, **extra}, format="json")


# --- List and read -------------------------------------------------------------------------------
def test_it_lists_contacts_newest_first_without_erased_ones(api):
    old = ContactFactory(email="old@example.com")
    new = ContactFactory(email="new@example.com", attributes={"plan": "pro"})
    ContactFactory(email="gone@example.com", erased_at=timezone.now())
    body = api.get("/api/contacts/").json()
    assert [row["id"] for row in body["results"]] == [new.pk, old.pk]
    assert body["results"][0]["attributes"] == {"plan": "pro"}
    assert body["next"] is None


def test_it_pages_with_a_cursor(api):
    contacts = [ContactFactory() for _ in range(5)]
    first = api.get("/api/contacts/?page_size=2").json()
    assert len(first["results"]) == 2
    second = api.get(first["next"]).json()
    third = api.get(second["next"]).json()
    seen = [row["id"] for page in (first, second, third) for row in page["results"]]
    assert seen == sorted((c.pk for c in contacts), reverse=True)
    assert third["next"] is None


@pytest.mark.parametrize(
    "query,field",
    [
        ("cursor=garbage", "cursor"),
        ("cursor=%%%", "cursor"),
        ("cursor=", "cursor"),
        ("cursor=cD0%3D", "cursor"),
        ("page_size=0", "page_size"),
        ("page_size=abc", "page_size"),
        ("page_size=1001", "page_size"),
        ("updated_since=yesterday", "updated_since"),
        ("opted_out=maybe", "opted_out"),
        ("emial=a@example.com", "emial"),
    ],
)
def test_a_bad_query_parameter_is_a_400_naming_it(api, query, field):
    response = api.get(f"/api/contacts/?{query}")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert response.json()["detail"].startswith(field)


def test_it_filters_contacts(api):
    out = ContactFactory(email="Out@Example.com", opted_out_at=timezone.now(), external_id="crm-1")
    ContactFactory(email="in@example.com")
    assert [r["id"] for r in api.get("/api/contacts/?email=out@example.com").json()["results"]] == [out.pk]
    assert [r["id"] for r in api.get("/api/contacts/?external_id=crm-1").json()["results"]] == [out.pk]
    assert [r["id"] for r in api.get("/api/contacts/?opted_out=true").json()["results"]] == [out.pk]
    assert out.pk not in [r["id"] for r in api.get("/api/contacts/?opted_out=false").json()["results"]]
    future = (timezone.now() + timezone.timedelta(days=1)).isoformat()
    assert api.get("/api/contacts/", {"updated_since": future}).json()["results"] == []


def test_it_reads_one_contact_and_404s_an_erased_one(api):
    contact = ContactFactory(email="ann@example.com", name="Ann")
    erased = ContactFactory(erased_at=timezone.now())
    body = api.get(f"/api/contacts/{contact.pk}/").json()
    assert (body["email"], body["name"]) == ("ann@example.com", "Ann")
    assert api.get(f"/api/contacts/{erased.pk}/").status_code == 404
    assert api.get("/api/contacts/999999999/").status_code == 404


# --- Upsert --------------------------------------------------------------------------------------
def test_upsert_creates_and_updates_by_email_and_counts_them(api):
    owner = UserFactory(username="olga", role="agent")
    ContactFactory(email="known@example.com", name="Known", attributes={"plan": "free", "region": "EU"})
    response = _upsert(
        api,
        [
            {"email": "KNOWN@example.com", "name": "Known Customer", "attributes": {"plan": "pro"}},
            {
                "email": "new@example.com",
                "name": "New",
                "company": "Acme",
                "language": "nl",
                "account_owner": "olga",
                "external_id": "crm-7",
                "phone": "+31 6 1234 5678",
            },
        ],
    )
    assert response.status_code == 200, response.json()
    assert response.json() == {"created": 1, "updated": 1, "errors": []}
    known = Contact.objects.get(email="known@example.com")
    assert known.name == "Known Customer"
    assert known.attributes == {"plan": "pro", "region": "EU"}  # merged
    new = Contact.objects.get(email="new@example.com")
    assert (new.company, new.language, new.account_owner, new.external_id, new.phone) == (
        "Acme",
        "nl",
        owner,
        "crm-7",
        "+31612345678",  # normalised to E.164 (#22)
    )
    assert AuditLog.objects.filter(action="contacts.upserted", data__created=1, data__updated=1).count() == 1


def test_upsert_normalises_phone_numbers_and_reports_one_that_is_not_valid(api):
    response = _upsert(
        api,
        [
            {"email": "local@example.com", "phone": "06 8765 4321"},
            {"email": "bad@example.com", "phone": "12345"},
        ],
    )
    assert response.json()["created"] == 1
    assert response.json()["errors"] == [{"row": 2, "errors": ["“12345” is not a valid phone number"]}]
    assert Contact.objects.get(email="local@example.com").phone == "+31687654321"


def test_upsert_matches_on_external_id(api):
    contact = ContactFactory(email="old@example.com", external_id="crm-1")
    response = _upsert(api, [{"email": "changed@example.com", "external_id": "crm-1"}], match_on="external_id")
    assert response.json() == {"created": 0, "updated": 1, "errors": []}
    contact.refresh_from_db()
    assert contact.email == "changed@example.com"


def test_upsert_leaves_out_fields_alone_and_never_opts_back_in(api):
    contact = ContactFactory(email="a@example.com", name="Ann", company="Acme", opted_out_at=timezone.now())
    _upsert(api, [{"email": "a@example.com", "opted_out": False}])
    contact.refresh_from_db()
    assert (contact.name, contact.company) == ("Ann", "Acme")
    assert contact.opted_out_at is not None


def test_upsert_can_opt_a_contact_out(api):
    contact = ContactFactory(email="a@example.com")
    _upsert(api, [{"email": "a@example.com", "opted_out": True}])
    contact.refresh_from_db()
    assert contact.opted_out_at is not None


def test_upsert_reports_bad_rows_by_position_and_stores_the_rest(api):
    ContactFactory(email="holder@example.com", external_id="taken")
    response = _upsert(
        api,
        [
            {"email": "good@example.com"},
            {"email": "not-an-address"},
            {"email": "dup@example.com"},
            {"email": "DUP@example.com"},
            {"email": "x@example.com", "external_id": "taken"},
            {"email": "y@example.com", "language": "fr"},
            {"email": "z@example.com", "account_owner": "nobody"},
            {"email": "w@example.com", "attributes": {"bad\nname": "x"}},
            "not an object",
        ],
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["updated"]) == (2, 0)
    errors = {entry["row"]: " ".join(entry["errors"]) for entry in body["errors"]}
    assert sorted(errors) == [2, 4, 5, 6, 7, 8, 9]
    assert "email" in errors[2]
    assert "duplicate of line 3" in errors[4]
    assert "belongs to another contact" in errors[5]
    assert "language" in errors[6]
    assert "nobody" in errors[7]
    assert "attribute" in errors[8].lower()
    assert set(Contact.objects.values_list("email", flat=True)) == {
        "holder@example.com",
        "good@example.com",
        "dup@example.com",
    }


def test_upsert_of_1001_rows_is_refused_whole(api):
    rows = [{"email": f"c{i}@example.com"} for i in range(1001)]
    response = _upsert(api, rows)
    assert response.status_code == 400
    assert "1000" in response.json()["detail"] or "1,000" in response.json()["detail"]
    assert not Contact.objects.exists()


def test_upsert_of_1000_rows_is_accepted(api, django_assert_max_num_queries):
    rows = [{"email": f"c{i}@example.com", "attributes": {"plan": "pro"}} for i in range(1000)]
    with django_assert_max_num_queries(40):  # set-based, not a query per row
        response = _upsert(api, rows)
    assert response.json() == {"created": 1000, "updated": 0, "errors": []}


@pytest.mark.parametrize(
    "body", [{}, {"contacts": []}, {"contacts": "x"}, {"contacts": [{}], "match_on": "name"}, [1, 2]]
)
def test_upsert_without_a_list_of_contacts_is_a_400(api, body):
    response = api.post(UPSERT, body, format="json")
    assert response.status_code == 400
    assert response.json()["detail"]


def test_upsert_with_broken_json_is_a_400(api):
    response = api.post(UPSERT, '{"contacts": [', content_type="application/json")
    assert response.status_code == 400


# --- Opt-out -------------------------------------------------------------------------------------
def test_opt_out_uses_the_unsubscribe_logic_once(api):
    contact = ContactFactory()
    response = api.post(f"/api/contacts/{contact.pk}/opt-out/")
    assert response.status_code == 200
    assert response.json()["opted_out_at"] is not None
    again = api.post(f"/api/contacts/{contact.pk}/opt-out/")
    assert again.json()["opted_out_at"] == response.json()["opted_out_at"]
    entries = AuditLog.objects.filter(action="contact.opted_out", target_id=str(contact.pk))
    assert entries.count() == 1 and entries.get().data["via"] == "api (CRM sync)"


def test_opt_out_of_an_unknown_contact_is_a_404(api):
    assert api.post("/api/contacts/424242/opt-out/").status_code == 404
