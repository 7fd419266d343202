"""The background contact import. Registered through config/celery.py (app.conf.include)."""

from celery import shared_task
from django.db import OperationalError

from surveys.imports import ImportFileError, import_run


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def run_contact_import(import_id: int) -> None:
    try:
        import_run(import_id=import_id)
    except ImportFileError:
        pass  # recorded on the import with its message; retrying cannot fix the file
