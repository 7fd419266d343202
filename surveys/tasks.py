"""Celery tasks of the surveys app: thin, id-taking, idempotent (the work is in surveys.sending,
surveys.batches and surveys.reminders)."""

from datetime import timedelta

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.db import OperationalError
from django.utils import timezone

from surveys import account_health, batches, reminders, sending
from surveys.delivery import TransientSendError

# Worth retrying: the provider or the network failed for a while, or the database did.
TRANSIENT = (TransientSendError, OperationalError, ConnectionError, TimeoutError)
MAX_RETRIES = 8  # 5 s, 10 s, 20 s … capped at 10 minutes: about half an hour in all


def retry_countdown(retries: int) -> int:
    return get_exponential_backoff_interval(factor=5, retries=retries, maximum=600, full_jitter=True)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def start_wave(wave_id: int) -> int:
    return sending.wave_start(wave_id=wave_id)


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def send_invitation_batch(self, wave_id: int, invitation_ids: list[int]) -> int:
    try:
        return batches.send_batch(wave_id=wave_id, invitation_ids=invitation_ids).sent
    except TRANSIENT as error:
        if self.request.retries >= self.max_retries:
            # Out of patience: fail what is left, with the reason, so the wave can finish.
            batches.batch_give_up(wave_id=wave_id, invitation_ids=invitation_ids, reason=str(error))
            return 0
        countdown = retry_countdown(self.request.retries)
        try:  # best effort: with the database away, the beat queues the wave again after STALLED_AFTER
            batches.batch_retry_at(wave_id=wave_id, when=timezone.now() + timedelta(seconds=countdown))
        except OperationalError:
            pass
        raise self.retry(exc=error, countdown=countdown) from error


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def send_reminder_batch(self, invitation_ids: list[int]) -> int:
    try:
        return reminders.send_reminder_batch(invitation_ids=invitation_ids).sent
    except TRANSIENT as error:
        if self.request.retries >= self.max_retries:
            return 0  # the claims were given back: the next reminder beat queues them again
        raise self.retry(exc=error, countdown=retry_countdown(self.request.retries)) from error


@shared_task(acks_late=True)
def send_due_campaigns() -> int:
    return sending.send_due_waves()


@shared_task(acks_late=True)
def send_due_reminders() -> int:
    return reminders.send_due_reminders()


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def refresh_account_health() -> int:
    """Recount every active account's health (derived data; safe to run twice)."""
    return account_health.account_health_refresh()
