"""Unsubscribe: a GET asks, a POST opts out; the RFC 8058 one-click POST needs no CSRF token."""

from django.test import Client
from freezegun import freeze_time

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


def test_a_truncated_or_foreign_token_is_a_404(client, db):
    from django.core import signing

    contact = ContactFactory()
    token = unsubscribe_token(contact)
    assert client.get(f"/u/{token[:-5]}/").status_code == 404
    other_salt = signing.dumps(contact.pk, salt="something-else", compress=True)  # e.g. another link kind
    assert client.post(f"/u/{other_salt}/", {"List-Unsubscribe": "One-Click"}).status_code == 404
    assert Contact.objects.get(pk=contact.pk).opted_out_at is None


def test_unsubscribing_twice_is_harmless(client, db):
    contact = ContactFactory()
    client.post(f"/u/{unsubscribe_token(contact)}/", {"List-Unsubscribe": "One-Click"})
    first = Contact.objects.get(pk=contact.pk).opted_out_at
    assert client.post(f"/u/{unsubscribe_token(contact)}/", {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert Contact.objects.get(pk=contact.pk).opted_out_at == first
    assert "You are unsubscribed" in client.get(f"/u/{unsubscribe_token(contact)}/").content.decode()


def test_an_unsubscribed_contact_is_never_emailed_again_by_any_campaign(client, admin, settings):
    from datetime import timedelta

    from django.core import mail
    from django.utils import timezone
    from freezegun import freeze_time

    from surveys.batches import send_batch
    from surveys.models import Campaign, Invitation
    from surveys.reminders import reminders_due, send_reminder_batch
    from surveys.sending import campaign_send, wave_start
    from tests.factories import CampaignFactory, InvitationFactory

    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    mail.outbox = []
    contact = ContactFactory(email="leaving@example.com")
    with freeze_time(timezone.now() - timedelta(days=40)):
        earlier = InvitationFactory(contact=contact, campaign=CampaignFactory(reminder_after_days=5))
    client.post(f"/u/{unsubscribe_token(contact)}/", {"List-Unsubscribe": "One-Click"})

    assert earlier.pk not in reminders_due()  # no reminder for the old invitation
    assert send_reminder_batch(invitation_ids=[earlier.pk]).sent == 0
    for campaign in (
        CampaignFactory(status=Campaign.Status.DRAFT),
        CampaignFactory(status=Campaign.Status.DRAFT, kind=Campaign.Kind.TRANSACTIONAL),
    ):
        wave = campaign_send(campaign=campaign, actor=admin)
        wave_start(wave_id=wave.pk)
        send_batch(
            wave_id=wave.pk, invitation_ids=list(Invitation.objects.filter(wave=wave).values_list("pk", flat=True))
        )
        assert Invitation.objects.get(wave=wave).skip_reason == "opted out"
    assert mail.outbox == []


@freeze_time("2026-11-24 10:00:01", tick=True)  # the limit counts per clock minute: stay inside one
def test_unsubscribe_is_rate_limited_with_a_friendly_page(client, db):
    from django.core.cache import cache

    cache.clear()
    token = unsubscribe_token(ContactFactory(language="nl"))
    statuses = [client.get(f"/u/{token}/").status_code for _ in range(31)]
    assert statuses.count(200) == 30 and statuses[-1] == 429
    limited = client.get(f"/u/{token}/")
    assert "Te veel verzoeken" in limited.content.decode()
    cache.clear()
