from celery import shared_task

from scoring import digest


@shared_task(acks_late=True)
def send_weekly_digests() -> int:
    return digest.send_weekly_digests()
