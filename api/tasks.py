"""Celery tasks of the API: thin, id-taking, safe to run twice (the work is in api.services)."""

from celery import shared_task

from api import services
from surveys.tasks import MAX_RETRIES, TRANSIENT, retry_countdown


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def send_triggered_invitation(self, invitation_id: int) -> str:
    try:
        return services.trigger_send(invitation_id=invitation_id)
    except TRANSIENT as error:
        if self.request.retries >= self.max_retries:
            services.trigger_give_up(invitation_id=invitation_id, reason=str(error))
            return "failed"
        raise self.retry(exc=error, countdown=retry_countdown(self.request.retries)) from error


@shared_task(acks_late=True)
def sweep_triggered_invitations() -> int:
    return services.trigger_sweep()
