"""Celery tasks of the webhooks: thin wrappers that take ids and call webhooks.delivery."""

from celery import shared_task

from webhooks import delivery


@shared_task(bind=True, acks_late=True, max_retries=None)  # the attempts are counted on the Delivery row
def deliver(self, delivery_id: str) -> None:
    outcome = delivery.delivery_attempt(delivery_id=delivery_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)


@shared_task(acks_late=True)
def sweep_lost_deliveries(limit: int = 500) -> int:
    """Every minute: deliveries whose task was lost, and the log past its keeping time."""
    return delivery.deliveries_sweep(limit=limit)
