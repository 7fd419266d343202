"""CSV import: map, check every row, upsert in the background; a broken file changes nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from surveys.models import Contact, ContactImport
from tests.factories import ContactFactory
from tests.helpers import wait_for

GOOD = ("email,name,external_id,plan,region,owner,language,opted_out\n"
        "ann@example.com,Ann,X1,pro,EU,arthur-agent,nl,no\n"
        "BOB@example.com,Bob,X2,starter,NA,,en,yes\n"
        "not-an-email,Nope,X3,pro,EU,,en,no\n"
        "ann@example.com,Ann again,X4,pro,EU,,en,no\n"
        "carl@example.com,Carl,X5,=cmd|' /C calc'!A0,EU,ghost,xx,no\n")


def _upload(client, content: bytes, name="contacts.csv"):
    return client.post("/contacts/import/", {"file": SimpleUploadedFile(name, content, content_type="text/csv")})


def _mapping(**extra):
    data = {"match_on": "email", "col_0": "email", "col_1": "name", "col_2": "external_id", "col_3": "attribute",
            "col_4": "attribute", "col_5": "account_owner", "col_6": "language", "col_7": "opted_out"}
    data.update(extra)
    return data


@pytest.fixture
def uploaded(client, admin, agent):
    client.force_login(admin)
    response = _upload(client, GOOD.encode())
    assert response.status_code == 302
    return ContactImport.objects.get()


def test_the_check_reports_each_bad_row_and_changes_nothing(client, uploaded):
    response = client.post(f"/contacts/import/{uploaded.pk}/", _mapping(action="check"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "2 rows are ready to import" in html and "<strong>3</strong> have errors" in html
    assert "is not a valid e-mail address" in html
    assert "duplicate of line 2" in html
    assert "no active user “ghost”" in html and "language “xx” is not en or nl" in html
    assert "Columns that are not contact fields: <strong>plan, region</strong>" in html
    assert Contact.objects.count() == 0


def test_the_import_upserts_by_email_with_segments_owner_and_opt_out(client, uploaded, agent):
    existing = ContactFactory(email="bob@example.com", name="Old Bob", attributes={"size": "smb"})
    client.post(f"/contacts/import/{uploaded.pk}/", _mapping(action="import", list_name="November"))
    from surveys.tasks_import import run_contact_import

    run_contact_import(uploaded.pk)  # the view queued it; run it here as the worker would
    uploaded.refresh_from_db()
    assert uploaded.status == "done" and uploaded.created_count == 1 and uploaded.updated_count == 1
    ann = Contact.objects.get(email="ann@example.com")
    assert (ann.name, ann.language, ann.account_owner, ann.attributes) == (
        "Ann", "nl", agent, {"plan": "pro", "region": "EU"})
    existing.refresh_from_db()
    assert existing.name == "Bob" and existing.opted_out_at is not None
    assert existing.attributes == {"size": "smb", "plan": "starter", "region": "NA"}
    assert set(uploaded.target_list.contacts.values_list("email", flat=True)) == {"ann@example.com",
                                                                                  "bob@example.com"}


def test_upsert_by_external_id(client, admin, db):
    ContactFactory(email="old@example.com", external_id="X9")
    client.force_login(admin)
    _upload(client, b"id,email\nX9,new@example.com\n")
    record = ContactImport.objects.get()
    client.post(f"/contacts/import/{record.pk}/", {"match_on": "external_id", "col_0": "external_id",
                                                   "col_1": "email", "action": "import"})
    from surveys.imports import import_run

    import_run(import_id=record.pk)
    assert list(Contact.objects.values_list("email", "external_id")) == [("new@example.com", "X9")]


@pytest.mark.parametrize("content,message", [
    (b"", "file is empty."),
    (b"email,name\n", "no contacts"),
    ("email,name\nann@example.com,Zoë\n".encode("utf-16"), "binary data"),
    ("email,name\nann@example.com,Zo\xeb\n".encode("latin-1"), "not UTF-8"),
    (b"email,email\na@example.com,b@example.com\n", "appear twice"),
    (b"email,\na@example.com,x\n", "name every column"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary data"),
])
def test_a_broken_file_gets_a_clear_message_and_changes_nothing(client, admin, content, message):
    client.force_login(admin)
    response = _upload(client, content)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ContactImport.objects.exists() and not Contact.objects.exists()


def test_a_mapping_without_email_is_refused(client, uploaded):
    response = client.post(f"/contacts/import/{uploaded.pk}/", _mapping(col_0="ignore", action="check"))
    assert response.status_code == 400
    assert "Map one column to E-mail" in response.content.decode()


@pytest.mark.worker
def test_a_large_file_imports_in_the_background_with_progress(celery_worker, admin, client):
    rows = "\n".join(f"user{i}@example.com,User {i},{'pro' if i % 2 else 'starter'}" for i in range(20000))
    client.force_login(admin)
    _upload(client, f"email,name,plan\n{rows}\n".encode())
    record = ContactImport.objects.get()
    client.post(f"/contacts/import/{record.pk}/", {"match_on": "email", "col_0": "email", "col_1": "name",
                                                   "col_2": "attribute", "action": "import"})
    assert wait_for(lambda: ContactImport.objects.get(pk=record.pk).status == "done", timeout=120)
    record.refresh_from_db()
    assert record.processed_rows == record.total_rows == 20000 and record.created_count == 20000
    assert Contact.objects.filter(attributes__plan="pro").count() == 10000
    progress = client.get(f"/contacts/import/{record.pk}/progress/").content.decode()
    assert "20000 of 20000 rows" in progress
