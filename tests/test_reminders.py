"""Reminders: one to each invitation not answered in time, exactly once, through provider errors.

The provider is simulated with anymail's test backend (tests/esp.py).
"""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from freezegun import freeze_time

from surveys.delivery import TransientSendError
from surveys.models import Campaign, Invitation
from surveys.reminders import reminders_due, send_due_reminders, send_reminder_batch
from tests.factories import CampaignFactory, InvitationFactory
from tests.helpers import wait_for


@pytest.mark.worker
def test_reminders_go_out_through_the_worker_once(celery_worker, provider):
    campaign = CampaignFactory(reminder_after_days=5)
    with freeze_time(timezone.now() - timedelta(days=6)):
        for i in range(3):
            InvitationFactory(campaign=campaign, contact__email=f"waiting{i}@example.com")
    assert send_due_reminders() == 3
    assert wait_for(lambda: len(mail.outbox) == 3)
    assert send_due_reminders() == 0
    assert sorted(m.to[0] for m in provider) == [f"waiting{i}@example.com" for i in range(3)]


# --- Reminders ----------------------------------------------------------------------------------
def test_one_reminder_only_to_those_who_did_not_answer(db, provider):
    campaign = CampaignFactory(reminder_after_days=5)
    with freeze_time(timezone.now() - timedelta(days=6)):
        waiting = InvitationFactory(campaign=campaign, contact__email="waiting@example.com")
        InvitationFactory(campaign=campaign, contact__email="answered@example.com", status="answered")
        InvitationFactory(campaign=campaign, contact__email="failed@example.com", status="failed")
        InvitationFactory(campaign=campaign, contact__email="bounced@example.com", status="bounced")
        InvitationFactory(campaign=campaign, contact__email="optout@example.com", contact__opted_out_at=timezone.now())
        InvitationFactory(
            campaign=campaign, contact__email="gone@example.com", contact__undeliverable_at=timezone.now()
        )
    InvitationFactory(campaign=campaign, contact__email="fresh@example.com")
    due = reminders_due()
    assert due == [waiting.pk]
    assert send_reminder_batch(invitation_ids=due).sent == 1
    assert send_reminder_batch(invitation_ids=due).sent == 0  # the task ran twice
    assert reminders_due() == []
    assert [m.to[0] for m in provider] == ["waiting@example.com"]
    assert provider[0].subject.startswith("Reminder:")
    assert provider[0].extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    waiting.refresh_from_db()
    assert waiting.reminded_at is not None


def test_no_reminders_when_the_campaign_has_none_or_is_paused(db, provider):
    with freeze_time(timezone.now() - timedelta(days=30)):
        InvitationFactory(campaign=CampaignFactory(reminder_after_days=None))
        InvitationFactory(campaign=CampaignFactory(reminder_after_days=5, status=Campaign.Status.PAUSED))
        InvitationFactory(campaign=CampaignFactory(reminder_after_days=5, status=Campaign.Status.CLOSED))
    assert reminders_due() == []


def test_each_campaign_reminds_after_its_own_delay(db, provider):
    quick, slow = CampaignFactory(reminder_after_days=2), CampaignFactory(reminder_after_days=10)
    with freeze_time(timezone.now() - timedelta(days=3)):
        due = InvitationFactory(campaign=quick)
        InvitationFactory(campaign=slow)
    assert reminders_due() == [due.pk]


def test_a_reminder_refused_by_the_provider_is_not_tried_again(db, provider):
    with freeze_time(timezone.now() - timedelta(days=6)):
        invitation = InvitationFactory(
            campaign=CampaignFactory(reminder_after_days=5), contact__email="rejected@example.com"
        )
    assert send_reminder_batch(invitation_ids=[invitation.pk]).failed == 1
    assert reminders_due() == []
    assert "Reminder" in Invitation.objects.get().failure_reason


def test_a_reminder_hit_by_an_outage_is_given_back_for_later(db, provider):
    with freeze_time(timezone.now() - timedelta(days=6)):
        invitation = InvitationFactory(
            campaign=CampaignFactory(reminder_after_days=5), contact__email="down@example.com"
        )
    with pytest.raises(TransientSendError):
        send_reminder_batch(invitation_ids=[invitation.pk])
    assert reminders_due() == [invitation.pk]
