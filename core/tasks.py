from celery import shared_task

from core import emails


@shared_task(
    bind=True, acks_late=True, autoretry_for=(ConnectionError, TimeoutError), retry_backoff=True, max_retries=5
)
def send_test_email(self, to: str, requested_by: str, key: str):
    """Proves the whole mail path (worker → backend) works; admins trigger it from the outbox page."""
    emails.send_test_email(to=to, requested_by=requested_by, key=key)


@shared_task(acks_late=True)
def retention_purge() -> dict:
    """Nightly: remove or anonymise personal data older than the admins' limits (core.retention)."""
    from core import retention

    return retention.purge()
