"""Celery tasks of the scoring app: thin wrappers."""

from anymail.exceptions import AnymailAPIError
from celery import shared_task
from django.db import OperationalError

from scoring import alerts, chat_summary, report_jobs, rollup, subscriptions


@shared_task(
    autoretry_for=(OperationalError, OSError, AnymailAPIError, subscriptions.ReportsFailed),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=6,
    acks_late=True,
)
def send_scheduled_reports() -> int:
    """Beat runs this hourly at :05: every scheduled report that is due goes out, once per period
    and recipient (the team leads' default weekly report among them)."""
    return subscriptions.send_due_reports()


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=6, acks_late=True)
def post_weekly_summaries() -> int:
    """Beat runs this hourly at :07; it posts only on Monday morning, once per channel per week."""
    return chat_summary.post_weekly_summaries()


@shared_task(acks_late=True, expires=60)
def refresh_rollup() -> int:
    """Beat runs this every 30 seconds: the only place the rollups are refreshed (readers count
    what they do not cover yet live). A failure is logged and noted for /healthz; the next run,
    30 seconds later, is the retry and heals it."""
    return rollup.refresh_rollup(wait=False)


@shared_task(acks_late=True)
def render_board_report(report_id: int) -> bool:
    """Make one board report the dashboard asked for (once; its page shows the progress)."""
    return report_jobs.board_report_render(report_id)


@shared_task(acks_late=True, expires=60)
def sweep_board_reports() -> int:
    """Beat runs this every minute: a report whose task was lost is queued again."""
    return report_jobs.sweep_stuck_reports()


@shared_task(
    autoretry_for=(OperationalError, OSError, AnymailAPIError, alerts.AlertsFailed),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=6,
    acks_late=True,
)
def check_nps_alerts() -> int:
    """Beat runs this hourly at :10: alerts on real drops in the period just ended, once each."""
    return alerts.check_alerts()
