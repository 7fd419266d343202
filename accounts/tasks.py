from celery import shared_task

from accounts import emails


@shared_task(
    bind=True, acks_late=True, autoretry_for=(ConnectionError, TimeoutError), retry_backoff=True, max_retries=5
)
def send_password_reset_email(self, user_id: int, key: str):
    emails.send_password_reset(user_id=user_id, key=key)
