"""Contacts: the list with search and filters, the contact page with its timeline, editing, lists."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import AuditLog
from surveys.models import Contact, ContactList
from tests.factories import (
    CampaignFactory,
    ContactFactory,
    FollowUpFactory,
    InvitationFactory,
    ResponseFactory,
    UserFactory,
)


def _names(html: str) -> list[str]:
    return re.findall(r'<a href="/contacts/\d+/">([^<]*)</a>', html)


# --- List -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "q,expected",
    [
        ("ann", ["Ann Example"]),
        ("BOB@EXAMPLE", ["Bob Builder"]),
        ("globex", ["Bob Builder"]),
        ("CRM-7", ["Ann Example"]),
        ("CRM", []),  # external ids match exactly, not by part
    ],
)
def test_it_searches_name_email_company_and_external_id(client, admin, q, expected):
    ContactFactory(name="Ann Example", email="ann@example.com", company="Initech", external_id="CRM-7")
    ContactFactory(name="Bob Builder", email="bob@example.com", company="Globex", external_id="CRM-8")
    client.force_login(admin)
    assert _names(client.get("/contacts/", {"q": q}).content.decode()) == expected


def test_it_filters_on_a_segment_attribute_state_and_list(client, admin):
    pro = ContactFactory(name="Pro EU", attributes={"plan": "pro", "region": "EU"})
    ContactFactory(name="Starter", attributes={"plan": "starter"})
    gone = ContactFactory(name="Gone", attributes={"plan": "pro"}, opted_out_at=timezone.now())
    listed = ContactList.objects.create(name="Q3 import")
    listed.contacts.add(pro)
    client.force_login(admin)
    assert _names(client.get("/contacts/", {"segment": "plan=pro"}).content.decode()) == ["Gone", "Pro EU"]
    assert _names(client.get("/contacts/", {"segment": "plan = pro", "state": "opted_out"}).content.decode()) == [
        "Gone"
    ]
    assert _names(client.get("/contacts/", {"state": "emailable", "segment": "plan=pro"}).content.decode()) == [
        "Pro EU"
    ]
    assert _names(client.get("/contacts/", {"list": listed.pk}).content.decode()) == ["Pro EU"]
    assert gone.pk


def test_a_malformed_segment_filter_is_explained_not_an_error(client, admin):
    ContactFactory(name="Someone")
    client.force_login(admin)
    response = client.get("/contacts/", {"segment": "plan"})
    assert response.status_code == 200
    assert "Filter on a segment as attribute=value" in response.content.decode()


def test_it_pages_fifty_at_a_time_keeping_the_filters(client, admin):
    Contact.objects.bulk_create(
        [Contact(email=f"c{i:03}@example.com", name=f"C {i:03}", attributes={"tier": "a&b"}) for i in range(120)]
    )
    client.force_login(admin)
    first = client.get("/contacts/", {"segment": "tier=a&b"}).content.decode()
    assert len(_names(first)) == 50 and "120 contacts" in first and "Page 1 of 3" in first
    assert 'href="?segment=tier%3Da%26b&amp;page=2"' in first
    last = client.get("/contacts/", {"segment": "tier=a&b", "page": "3"}).content.decode()
    assert _names(last)[-1] == "C 119" and len(_names(last)) == 20
    assert client.get("/contacts/", {"page": "nonsense"}).status_code == 200


def test_the_list_has_an_empty_state(client, admin):
    client.force_login(admin)
    assert "No contacts yet" in client.get("/contacts/").content.decode()


# --- Contact page ---------------------------------------------------------------------------------
def test_the_contact_page_shows_details_and_attributes(client, admin, agent):
    contact = ContactFactory(
        name="Ann Example",
        email="ann@example.com",
        external_id="CRM-7",
        company="Initech",
        language="nl",
        account_owner=agent,
        attributes={"plan": "pro"},
        opted_out_at=timezone.now(),
    )
    client.force_login(admin)
    html = client.get(f"/contacts/{contact.pk}/").content.decode()
    for text in (
        "ann@example.com",
        "CRM-7",
        "Initech",
        "Dutch",
        "arthur-agent",
        '<dt class="col-12 col-sm-5">plan</dt>',
        "opted out",
    ):
        assert text in html, text


def test_the_timeline_lists_invitations_responses_and_cases_newest_first(client, admin):
    contact = ContactFactory()
    now = timezone.now()
    old = CampaignFactory(name="Spring pulse")
    new = CampaignFactory(name="Support check")
    InvitationFactory(campaign=old, contact=contact, sent_at=now - timedelta(days=60))
    ResponseFactory(campaign=old, contact=contact, score=9, submitted_at=now - timedelta(days=59))
    invitation = InvitationFactory(campaign=new, contact=contact, sent_at=now - timedelta(days=3))
    response = ResponseFactory(
        campaign=new, contact=contact, invitation=invitation, score=3, submitted_at=now - timedelta(days=2)
    )
    case = FollowUpFactory(response=response)  # opened now
    InvitationFactory(
        campaign=old, contact=contact, status="failed", sent_at=None, failure_reason="mailbox does not exist"
    )
    InvitationFactory(
        campaign=new, contact=contact, status="skipped", sent_at=None, skip_reason="surveyed in the last 30 days"
    )
    InvitationFactory(campaign=new, status="failed", sent_at=None, failure_reason="someone else's bounce")
    ResponseFactory(campaign=new, score=0)  # someone else's answer
    client.force_login(admin)
    html = client.get(f"/contacts/{contact.pk}/").content.decode()
    timeline = html[html.index('<h2 class="h5">Timeline') :]
    markers = [
        "Skipped for Support check: surveyed in the last 30 days",
        "mailbox does not exist",
        f'href="/followups/{case.pk}/"',
        "3 · Detractor",
        "Invited to Support check",
        "9 · Promoter",
        "Invited to Spring pulse",
    ]
    positions = [timeline.index(marker) for marker in markers]
    assert positions == sorted(positions)
    assert "someone else" not in timeline and "0 · Detractor" not in timeline


def test_comments_on_the_contact_page_are_escaped(client, admin):
    contact = ContactFactory(name="<b>Bold</b> Name")
    ResponseFactory(contact=contact, score=2, comment="<script>alert('x')</script> & more")
    client.force_login(admin)
    html = client.get(f"/contacts/{contact.pk}/").content.decode()
    assert "<script>alert" not in html and "<b>Bold</b>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; more" in html


def test_an_unknown_contact_is_a_404(client, admin):
    client.force_login(admin)
    assert client.get("/contacts/999999/").status_code == 404


# --- Edit -----------------------------------------------------------------------------------------
def _edit_data(contact, **overrides):
    data = {
        "email": contact.email,
        "name": contact.name,
        "external_id": contact.external_id or "",
        "company": contact.company,
        "language": contact.language,
        "account_owner": "",
        "attributes_text": "plan=pro",
    }
    data.update(overrides)
    return data


def test_editing_a_contact_saves_and_audits(client, admin, agent):
    contact = ContactFactory(email="old@example.com")
    client.force_login(admin)
    response = client.post(
        f"/contacts/{contact.pk}/edit/",
        _edit_data(
            contact,
            email="New@Example.com",
            account_owner=agent.pk,
            language="nl",
            attributes_text="plan=ent, region=NA",
        ),
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.email, contact.account_owner, contact.language, contact.attributes) == (
        "new@example.com",
        agent,
        "nl",
        {"plan": "ent", "region": "NA"},
    )
    assert contact.opted_out_at is None
    entry = AuditLog.objects.get(action="contact.updated")
    assert {"email", "account_owner", "language"} <= set(entry.data["changed"])


def test_an_address_of_another_contact_is_refused(client, admin):
    ContactFactory(email="taken@example.com")
    contact = ContactFactory(email="mine@example.com")
    client.force_login(admin)
    response = client.post(f"/contacts/{contact.pk}/edit/", _edit_data(contact, email="TAKEN@example.com"))
    assert response.status_code == 400
    contact.refresh_from_db()
    assert contact.email == "mine@example.com"


def test_staff_can_opt_a_contact_out_but_not_back_in(client, admin):
    contact = ContactFactory()
    client.force_login(admin)
    client.post(f"/contacts/{contact.pk}/edit/", _edit_data(contact, opted_out="on"))
    contact.refresh_from_db()
    stamp = contact.opted_out_at
    assert stamp is not None and AuditLog.objects.filter(action="contact.opted_out").count() == 1
    client.post(f"/contacts/{contact.pk}/edit/", _edit_data(contact))  # the box unticked
    contact.refresh_from_db()
    assert contact.opted_out_at == stamp


def test_a_contact_is_saved_from_plain_values(admin, agent, db):
    from surveys.services import contact_save

    contact = contact_save(
        actor=admin, email=" Plain@Example.com ", name="Plain", account_owner=agent, attributes={"plan": "pro"}
    )
    contact = Contact.objects.get(pk=contact.pk)
    assert (contact.email, contact.account_owner, contact.attributes) == ("plain@example.com", agent, {"plan": "pro"})
    contact_save(actor=admin, contact_id=contact.pk, name="Plain", company="Acme", opt_out=True)
    entry = AuditLog.objects.get(action="contact.updated")
    assert entry.data["changed"] == ["company", "opted_out"]
    assert Contact.objects.get(pk=contact.pk).opted_out_at is not None
    assert AuditLog.objects.filter(action="contact.opted_out").count() == 1


def test_the_service_refuses_to_edit_an_erased_contact(admin, db):
    from django.core.exceptions import ValidationError

    from surveys.services import contact_save

    contact = ContactFactory(name="", erased_at=timezone.now())
    with pytest.raises(ValidationError):
        contact_save(actor=admin, contact_id=contact.pk, name="Back again")
    assert Contact.objects.get(pk=contact.pk).name == ""


def test_an_import_saying_no_does_not_undo_an_opt_out(db):
    from surveys.imports import _upsert

    contact = ContactFactory(email="gone@example.com", opted_out_at=timezone.now())
    row = {
        "line": 2,
        "email": "gone@example.com",
        "name": "",
        "external_id": None,
        "company": "",
        "language": None,
        "account_owner_id": None,
        "opted_out": False,
        "attributes": {},
    }
    _upsert([row], "email", None)
    contact.refresh_from_db()
    assert contact.opted_out_at is not None


def test_admins_create_contacts_by_hand(client, admin):
    client.force_login(admin)
    response = client.post("/contacts/new/", {"email": "hand@example.com", "name": "By Hand", "language": "en"})
    contact = Contact.objects.get()
    assert response["Location"] == f"/contacts/{contact.pk}/"
    assert AuditLog.objects.filter(action="contact.created").exists()


# --- Lists ----------------------------------------------------------------------------------------
def test_the_lists_page_counts_contacts_and_opt_outs(client, admin):
    imported = ContactList.objects.create(name="November import")
    imported.contacts.add(ContactFactory(), ContactFactory(), ContactFactory(opted_out_at=timezone.now()))
    client.force_login(admin)
    html = client.get("/contacts/lists/").content.decode()
    assert "November import" in html and "3 contacts" in html and "1 opted out" in html


# --- Who may --------------------------------------------------------------------------------------
@pytest.mark.parametrize("persona", ["agent", "agent_b", "viewer", "outsider"])
def test_only_admins_open_contact_pages(client, personas, persona):
    contact = ContactFactory(name="Unchanged")
    client.force_login(personas[persona])
    for url in (
        "/contacts/",
        "/contacts/lists/",
        "/contacts/new/",
        f"/contacts/{contact.pk}/",
        f"/contacts/{contact.pk}/edit/",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/contacts/{contact.pk}/edit/", _edit_data(contact, name="Changed")).status_code == 403
    contact.refresh_from_db()
    assert contact.name == "Unchanged"


def test_anonymous_visitors_are_sent_to_login_from_contact_pages(client, db):
    contact = ContactFactory()
    for url in (f"/contacts/{contact.pk}/", f"/contacts/{contact.pk}/edit/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


def test_inactive_users_are_not_offered_as_account_owners(db):
    from surveys.forms import ContactForm

    UserFactory(username="left-the-company", is_active=False)
    active = UserFactory(username="still-here")
    owners = list(ContactForm().fields["account_owner"].queryset)
    assert active in owners and all(u.is_active for u in owners)


@pytest.mark.parametrize("erased", [False, True])
def test_the_edit_button_shows_exactly_when_the_edit_page_opens(client, admin, erased):
    contact = ContactFactory(erased_at=timezone.now() if erased else None)
    client.force_login(admin)
    offered = f"/contacts/{contact.pk}/edit/" in client.get(f"/contacts/{contact.pk}/").content.decode()
    opens = client.get(f"/contacts/{contact.pk}/edit/").status_code == 200
    assert offered == opens == (not erased)
