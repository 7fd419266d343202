"""The background contact import. Registered through config/celery.py (app.conf.include)."""

from celery import shared_task
from django.db import OperationalError

from core.i18n import for_user
from surveys.import_file import ImportFileError
from surveys.imports import import_run
from surveys.models import ContactImport


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def run_contact_import(import_id: int) -> None:
    record = ContactImport.objects.select_related("created_by").filter(pk=import_id).first()
    # The report is stored as text: write it in the language of the admin who started the import.
    with for_user(record.created_by if record else None):
        try:
            import_run(import_id=import_id)
        except ImportFileError:
            pass  # recorded on the import with its message; retrying cannot fix the file
