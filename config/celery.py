"""The Celery app. Workers and beat: `celery -A config worker` / `celery -A config beat`."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("kringloop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.conf.include = [*app.conf.include, "surveys.tasks_import"]  # task modules not named tasks.py

# Periodic work. Each task is idempotent, so a beat that fires twice changes nothing twice.
app.conf.beat_schedule = {
    "surveys-send-due": {"task": "surveys.tasks.send_due_campaigns", "schedule": 60.0},
    "surveys-send-reminders": {"task": "surveys.tasks.send_due_reminders", "schedule": 15 * 60.0},
    "followups-sweep-unrouted": {"task": "followups.tasks.sweep_unrouted_responses", "schedule": 60.0},
    "followups-escalate-overdue": {"task": "followups.tasks.escalate_overdue", "schedule": 5 * 60.0},
    "webhooks-sweep-lost": {"task": "webhooks.tasks.sweep_lost_deliveries", "schedule": 60.0},
    "api-sweep-triggered": {"task": "api.tasks.sweep_triggered_invitations", "schedule": 15 * 60.0},
    "scoring-weekly-digest": {"task": "scoring.tasks.send_weekly_digests", "schedule": crontab(minute=5)},
}
