"""Celery tasks of the follow-up loop: thin wrappers that take ids and call services."""

from anymail.exceptions import AnymailAPIError
from celery import shared_task
from django.db import OperationalError

from core.queue import single_flight
from followups import emails, escalation, kudos, processing, services, suggestions
from followups.notices import notice_send, notices_send

# Transient: the database, the network, the SMTP server (OSError covers all three kinds) or the ESP.
RETRY = {
    "autoretry_for": (OperationalError, OSError, AnymailAPIError),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "max_retries": 8,
    "acks_late": True,
}


@shared_task(**RETRY)
def process_response(response_id: int) -> None:
    processing.response_process(response_id=response_id)


@shared_task(**RETRY)
def process_responses(response_ids: list[int]) -> int:
    """A batch of answers handed off by the web (core/handoff.py); returns how many were processed."""
    return processing.responses_process(response_ids=response_ids)


@shared_task(**RETRY)
def response_details_added(response_id: int) -> None:
    processing.response_details_added(response_id=response_id)


@shared_task(**RETRY)
def notify_owner(followup_id: int) -> None:
    """One case's owner alert (messages queued before notify_owners existed)."""
    emails.send_owner_alerts(followup_ids=[followup_id])


@shared_task(**RETRY)
def notify_owners(followup_ids: list[int]) -> int:
    """The owner alerts of a batch of new cases; returns how many were sent. Safe to run twice."""
    return emails.send_owner_alerts(followup_ids=followup_ids)


@shared_task(**RETRY)
def notify_owners_why(followup_ids: list[int]) -> int:
    """The customers' "why" arrived on these cases: the held alert now, or one update. Safe to run twice."""
    return emails.send_owner_why(followup_ids=followup_ids)


@shared_task(**RETRY)
def send_reply(event_id: int) -> None:
    services.followup_reply_send(event_id=event_id)


@shared_task(**RETRY)
def notify_inbound(inbound_id: int) -> int:
    """The customer's e-mail came into their case: tell its owner, once."""
    return emails.send_inbound_notice(inbound_id=inbound_id)


@shared_task(**RETRY)
def send_daily_kudos() -> int:
    """Beat runs this hourly at :09; from KUDOS_HOUR it sends the day's praise, once a day."""
    return kudos.send_daily_kudos()


@shared_task(acks_late=True)
def sweep_unrouted_responses(limit: int = 5000) -> int:
    """Every minute: responses whose task never ran or was lost, and owner alerts never sent; one run
    at a time (a run still going makes this one a no-op)."""
    with single_flight("followups.sweep_lost_work", seconds=processing.SWEEP_HOLD) as mine:
        if not mine:
            return 0
        return processing.sweep_lost_work(limit=limit, budget=processing.SWEEP_BUDGET)


@shared_task(acks_late=True)
def escalate_overdue() -> int:
    return escalation.escalate_overdue()


@shared_task(**RETRY)
def send_improvement_notice(notice_id: int) -> None:
    """One notice (messages queued before send_improvement_notices existed)."""
    notice_send(notice_id=notice_id)


@shared_task(**RETRY)
def send_improvement_notices(notice_ids: list[int]) -> int:
    """A batch of "you said, we did" notices; safe to run twice (the ledger and the status guard each)."""
    return notices_send(notice_ids=notice_ids)


@shared_task(acks_late=True)
def retrain_root_causes() -> dict:
    """Beat, nightly: learn the root-cause suggestions again from the tagged cases (followups.suggestions)."""
    found = suggestions.retrain()
    return {"cases": found.cases, "active": found.active}
