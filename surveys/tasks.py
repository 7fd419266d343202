"""Celery tasks of the surveys app: thin, id-taking, idempotent."""

from celery import shared_task
from django.db import OperationalError

from surveys import sending


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def start_wave(wave_id: int) -> int:
    return sending.wave_start(wave_id=wave_id)


@shared_task(acks_late=True, autoretry_for=(sending.TransientSendError, OperationalError, ConnectionError),
             retry_backoff=5, retry_backoff_max=600, retry_jitter=True, max_retries=8)
def send_invitation_batch(wave_id: int, invitation_ids: list[int]) -> int:
    return sending.send_batch(wave_id=wave_id, invitation_ids=invitation_ids).sent


@shared_task(acks_late=True)
def send_due_campaigns() -> int:
    return sending.send_due_waves()


@shared_task(acks_late=True)
def send_due_reminders() -> int:
    return sending.send_due_reminders()


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def run_contact_import(import_id: int) -> None:
    from surveys.imports import ImportFileError, import_run

    try:
        import_run(import_id=import_id)
    except ImportFileError:
        pass  # recorded on the import; nothing to retry
