"""Celery tasks of the follow-up loop: thin wrappers that take ids and call services."""

from datetime import timedelta

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from followups import emails, escalation, services
from followups.models import FollowUp

RETRY = {"autoretry_for": (OperationalError, ConnectionError, TimeoutError), "retry_backoff": True,
         "retry_backoff_max": 300, "max_retries": 8, "acks_late": True}
SWEEP_AFTER = timedelta(seconds=60)


@shared_task(**RETRY)
def process_response(response_id: int) -> None:
    services.response_process(response_id=response_id)


@shared_task(**RETRY)
def response_details_added(response_id: int) -> None:
    services.response_details_added(response_id=response_id)


@shared_task(**RETRY)
def notify_owner(followup_id: int) -> None:
    followup = (FollowUp.objects.select_related("owner", "team__lead", "contact", "response__campaign")
                .filter(pk=followup_id).first())
    if followup is not None:
        emails.send_owner_alert(followup=followup)


@shared_task(acks_late=True)
def sweep_unrouted_responses(limit: int = 500) -> int:
    """Process responses whose task never ran (the broker was down at commit, or it was lost),
    and send owner alerts that never went out. Both are idempotent, so overlapping is harmless."""
    from surveys.models import Response

    cutoff = timezone.now() - SWEEP_AFTER
    ids = list(Response.objects.filter(processed_at__isnull=True, submitted_at__lt=cutoff)
               .order_by("submitted_at").values_list("pk", flat=True)[:limit])
    for response_id in ids:
        services.response_process(response_id=response_id)
    unsent = (FollowUp.objects.filter(created_at__lt=cutoff, created_at__gte=cutoff - timedelta(days=2))
              .exclude(owner__isnull=True, team__isnull=True)
              .select_related("owner", "team__lead", "contact", "response__campaign")[:limit])
    from core.models import EmailDelivery

    sent_keys = set(EmailDelivery.objects.filter(kind="followup_owner", status=EmailDelivery.Status.SENT,
                                                 created_at__gte=cutoff - timedelta(days=2))
                    .values_list("key", flat=True))
    for followup in unsent:
        recipient = followup.owner or (followup.team.lead if followup.team_id else None)
        if recipient and f"followup-owner:{followup.pk}:{recipient.pk}" not in sent_keys:
            emails.send_owner_alert(followup=followup)
    return len(ids)


@shared_task(acks_late=True)
def escalate_overdue() -> int:
    return escalation.escalate_overdue()


@shared_task(**RETRY)
def send_improvement_notice(notice_id: int) -> None:
    from followups.improvements import notice_send

    notice_send(notice_id=notice_id)
