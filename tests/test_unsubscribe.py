"""Unsubscribe: a GET asks, a POST opts out; the RFC 8058 one-click POST needs no CSRF token."""

from django.test import Client

from surveys.models import Contact
from surveys.unsubscribe import unsubscribe_token
from tests.factories import ContactFactory


def test_a_get_only_asks(client, db):
    contact = ContactFactory()
    response = client.get(f"/u/{unsubscribe_token(contact)}/")
    assert response.status_code == 200
    assert "Unsubscribe from our surveys?" in response.content.decode()
    assert Contact.objects.get(pk=contact.pk).opted_out_at is None


def test_the_confirmation_post_opts_out(client, db):
    contact = ContactFactory()
    response = client.post(f"/u/{unsubscribe_token(contact)}/")
    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    assert Contact.objects.get(pk=contact.pk).opted_out_at is not None


def test_the_one_click_post_works_without_a_csrf_token(db):
    contact = ContactFactory()
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(f"/u/{unsubscribe_token(contact)}/", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert Contact.objects.get(pk=contact.pk).opted_out_at is not None


def test_any_other_post_still_needs_the_csrf_token(db):
    contact = ContactFactory()
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(f"/u/{unsubscribe_token(contact)}/", {}).status_code == 403
    assert Contact.objects.get(pk=contact.pk).opted_out_at is None


def test_a_forged_token_is_a_404(client, db):
    contact = ContactFactory()
    token = unsubscribe_token(contact)
    assert client.get(f"/u/{token[:-3]}abc/").status_code == 404
    assert client.post("/u/1:forged/", {"List-Unsubscribe": "One-Click"}).status_code == 404
    assert Contact.objects.get(pk=contact.pk).opted_out_at is None


def test_the_page_speaks_the_contacts_language(client, db):
    contact = ContactFactory(language="nl")
    assert "Afmelden" in client.get(f"/u/{unsubscribe_token(contact)}/").content.decode()
