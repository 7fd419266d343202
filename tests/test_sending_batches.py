"""Sending a wave's invitations in batches: the e-mail itself, exactly once, provider errors.

The provider is simulated with anymail's test backend (tests/esp.py): it records every attempt in
django.core.mail.outbox and fails the way a real provider does for some addresses.
"""

from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.utils import timezone

from surveys import sending
from surveys.delivery import TransientSendError
from surveys.models import Campaign, Contact, Invitation, SendWave
from surveys.sending import campaign_send, wave_start
from tests.factories import CampaignFactory, ContactFactory
from tests.helpers import wait_for
from tests.sending_helpers import send_all, start, statuses


@pytest.fixture
def campaign(db):
    return CampaignFactory(status=Campaign.Status.DRAFT, audience_filter={"plan": "pro"}, quiet_period_days=30)


@pytest.mark.worker
def test_a_batch_delivered_twice_at_once_sends_each_invitation_once(celery_worker, provider, admin, campaign):
    from core.queue import send_task_now

    for i in range(30):
        ContactFactory(email=f"c{i}@example.com")
    wave = campaign_send(campaign=campaign, actor=admin)
    assert wait_for(lambda: SendWave.objects.filter(pk=wave.pk, finished_at__isnull=False).exists(), timeout=30)
    Invitation.objects.filter(wave=wave).update(status="queued", sent_at=None)  # as if the first run died
    SendWave.objects.filter(pk=wave.pk).update(finished_at=None)
    mail.outbox.clear()
    ids = list(Invitation.objects.filter(wave=wave).values_list("pk", flat=True))
    send_task_now(sending.BATCH_TASK, wave.pk, ids)
    send_task_now(sending.BATCH_TASK, wave.pk, ids)  # a duplicate delivery, run by the second thread
    assert wait_for(lambda: not Invitation.objects.filter(wave=wave, status="queued").exists(), timeout=30)
    assert wait_for(lambda: SendWave.objects.filter(pk=wave.pk, finished_at__isnull=False).exists(), timeout=10)
    assert sorted(m.to[0] for m in provider) == sorted(f"c{i}@example.com" for i in range(30))


@pytest.mark.worker
def test_a_temporary_provider_error_is_retried_by_the_worker(celery_worker, provider, admin):
    campaign = CampaignFactory(status=Campaign.Status.DRAFT)
    ContactFactory(email="flaky@example.com")
    ContactFactory(email="fine@example.com")
    wave = campaign_send(campaign=campaign, actor=admin)
    assert wait_for(lambda: SendWave.objects.filter(pk=wave.pk, finished_at__isnull=False).exists(), timeout=40)
    assert statuses(wave) == {"flaky@example.com": "sent", "fine@example.com": "sent"}
    attempts = [m.to[0] for m in provider]
    assert attempts.count("flaky@example.com") == 2  # a 503 first, then delivered
    assert attempts.count("fine@example.com") == 1


# --- The e-mail ---------------------------------------------------------------------------------
def test_the_invitation_email_has_both_parts_the_scale_and_the_unsubscribe_headers(campaign, provider, admin):
    contact = ContactFactory(email="ann@example.com", name="Ann Smith")
    wave = start(campaign, admin)
    send_all(wave)
    message = provider[0]
    invitation = Invitation.objects.get(contact=contact)
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["List-Unsubscribe"].startswith("<http://127.0.0.1")
    assert message.extra_headers["List-Unsubscribe"].count("/u/") == 1
    html = message.alternatives[0][0]
    assert message.alternatives[0][1] == "text/html"
    for score in range(11):
        assert f"/s/{invitation.token}/?score={score}" in html
        assert f"/s/{invitation.token}/?score={score}" in message.body
    assert "Not at all likely" in html and "Extremely likely" in html
    assert "Not at all likely" in message.body and "Extremely likely" in message.body
    assert "Hello Ann," in message.body and "Hello Ann," in html
    assert "How likely is it that you would recommend Acme" in message.body
    invitation.refresh_from_db()
    assert invitation.provider_message_id != "" and invitation.sent_at is not None


def test_the_unsubscribe_link_in_the_email_opts_out(client, campaign, provider, admin):
    contact = ContactFactory()
    send_all(start(campaign, admin))
    link = urlsplit(provider[0].extra_headers["List-Unsubscribe"].strip("<>")).path
    assert client.post(link, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert Contact.objects.get(pk=contact.pk).opted_out_at is not None


def test_a_contact_without_a_name_is_greeted_without_one(campaign, provider, admin):
    ContactFactory(name="")
    ContactFactory(name="Bo Lee", email="bo@example.com")
    send_all(start(campaign, admin))  # one batch, both greetings
    bodies = {m.to[0]: m.body for m in provider}
    assert bodies["bo@example.com"].startswith("Hello Bo,")
    assert [b for a, b in bodies.items() if a != "bo@example.com"][0].startswith("Hello,\n")


def test_a_name_is_escaped_in_the_html_part(campaign, provider, admin):
    ContactFactory(name="<b>Eve</b> Evil")
    send_all(start(campaign, admin))
    assert "<b>Eve</b>" not in provider[0].alternatives[0][0]
    assert "&lt;b&gt;Eve&lt;/b&gt;" in provider[0].alternatives[0][0]


def test_a_dutch_contact_gets_a_dutch_email(campaign, provider, admin):
    ContactFactory(email="jan@example.nl", language="nl")
    ContactFactory(email="ann@example.com", language="en")
    send_all(start(campaign, admin))
    by_address = {m.to[0]: m for m in provider}
    assert "aanbevelen" in by_address["jan@example.nl"].body
    assert "aanbevelen" in by_address["jan@example.nl"].alternatives[0][0]
    assert "recommend" in by_address["ann@example.com"].body


def test_the_campaign_language_is_used_for_a_contact_without_one(provider, admin):
    campaign = CampaignFactory(status=Campaign.Status.DRAFT, language="nl")
    ContactFactory(language="")
    send_all(start(campaign, admin))
    assert "aanbevelen" in provider[0].body


def test_a_preview_email_writes_nothing(campaign, django_assert_num_queries):
    from surveys.emails import build_invitation_email

    contact = Contact(pk=0, email="jamie@example.com", name="Jamie", language="en")
    with django_assert_num_queries(0):
        message = build_invitation_email(
            invitation=Invitation(campaign=campaign, contact=contact, token="preview"), preview=True
        )
    assert "/s/preview/?score=10" in message.body


# --- Batches: exactly once, errors --------------------------------------------------------------
def test_a_batch_that_runs_twice_sends_nothing_twice(campaign, provider, admin):
    for i in range(3):
        ContactFactory(email=f"c{i}@example.com")
    wave = start(campaign, admin)
    wave_start(wave_id=wave.pk)  # a duplicate start creates nothing twice
    assert Invitation.objects.filter(wave=wave).count() == 3
    send_all(wave)
    send_all(wave)
    assert len(provider) == 3
    assert SendWave.objects.get(pk=wave.pk).finished_at is not None


def test_a_permanent_rejection_marks_the_invitation_failed_with_the_reason(campaign, provider, admin):
    ContactFactory(email="rejected@example.com")
    ContactFactory(email="bad-request@example.com")
    result = send_all(start(campaign, admin))
    assert result.failed == 2
    reasons = dict(Invitation.objects.values_list("contact__email", "failure_reason"))
    assert "rejected" in reasons["rejected@example.com"].lower()
    assert "400" in reasons["bad-request@example.com"]
    assert set(Invitation.objects.values_list("status", flat=True)) == {"failed"}


def test_an_unexpected_error_fails_one_invitation_and_never_resends_the_others(campaign, provider, admin):
    for email in ("a@example.com", "crash@example.com", "c@example.com"):
        ContactFactory(email=email)
    wave = start(campaign, admin)
    send_all(wave)
    assert statuses(wave) == {"a@example.com": "sent", "crash@example.com": "failed", "c@example.com": "sent"}
    assert "client library broke" in Invitation.objects.get(contact__email="crash@example.com").failure_reason
    send_all(wave)
    assert sorted(m.to[0] for m in provider) == ["a@example.com", "c@example.com", "crash@example.com"]


def test_a_temporary_error_keeps_the_rest_queued_for_the_retry(campaign, provider, admin):
    for email in ("a@example.com", "down@example.com", "z@example.com"):
        ContactFactory(email=email)
    wave = start(campaign, admin)
    with pytest.raises(TransientSendError):
        send_all(wave)
    assert statuses(wave) == {"a@example.com": "sent", "down@example.com": "queued", "z@example.com": "queued"}


def test_after_the_last_retry_the_batch_is_marked_failed_and_the_wave_ends(campaign, provider, admin):
    from surveys.tasks import MAX_RETRIES, send_invitation_batch

    ContactFactory(email="down@example.com")
    wave = start(campaign, admin)
    ids = list(Invitation.objects.values_list("pk", flat=True))
    send_invitation_batch.apply(args=[wave.pk, ids])  # eager: every retry runs at once
    assert len(provider) == MAX_RETRIES + 1
    invitation = Invitation.objects.get()
    assert invitation.status == "failed" and "503" in invitation.failure_reason
    assert SendWave.objects.get(pk=wave.pk).finished_at is not None


def test_an_opted_out_contact_is_never_emailed_even_if_queued_earlier(campaign, provider, admin):
    contact = ContactFactory(email="late-optout@example.com")
    wave = start(campaign, admin)
    Contact.objects.filter(pk=contact.pk).update(opted_out_at=timezone.now())
    send_all(wave)
    assert provider == []
    assert Invitation.objects.get().skip_reason == "opted out"
