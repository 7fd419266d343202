"""The Celery app. Workers and beat: `celery -A config worker` / `celery -A config beat`."""

import os
import threading

from celery import Celery, bootsteps
from celery.schedules import crontab
from celery.signals import task_postrun, task_prerun, worker_init, worker_process_init
from django.db import close_old_connections, connections

from core import handoff
from core.gcfreeze import freeze_loaded, load_url_patterns

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("kringloop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.conf.include = [*app.conf.include, "surveys.tasks_import"]  # task modules not named tasks.py


class AnswerDispatcher(bootsteps.StartStopStep):
    """A thread in each worker that turns handed-off answer ids into batch tasks (core/handoff.py)."""

    requires = {"celery.worker.components:Pool"}

    def __init__(self, worker, **kwargs):
        self.stop_event = threading.Event()
        self.thread = None

    def start(self, worker):
        if not handoff.enabled():
            return
        self.stop_event.clear()
        self.thread = threading.Thread(
            target=handoff.dispatch_loop, args=(self.stop_event,), name="answer-dispatcher", daemon=True
        )
        self.thread.start()

    def stop(self, worker):
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(5)


app.steps["worker"].add(AnswerDispatcher)


# Celery's Django fixup closes every database connection before and after each task unless
# CELERY_DB_REUSE_MAX is set (settings sets it): each task then connected to PostgreSQL anew, a third
# of a worker process's time in make chaos (py-spy, webhook deliveries), and a server process forked
# per task. A worker's tasks keep their connection as requests do: closed when unusable (an error, a
# cut connection) or older than CONN_MAX_AGE, and health-checked before it is used again
# (CONN_HEALTH_CHECKS). A task run eagerly (task.apply(), in tests or in a request) is left alone, as
# the fixup leaves it: it runs on its caller's connection, maybe inside the caller's transaction, and
# closing that under the caller broke it ('the connection is closed').
def _worker_task(task) -> bool:
    return task is not None and not getattr(task.request, "is_eager", False)


@task_prerun.connect
def _database_before_task(sender=None, **kwargs):
    if _worker_task(sender):
        close_old_connections()


@task_postrun.connect
def _database_after_task(sender=None, **kwargs):
    if not _worker_task(sender):
        return
    if threading.current_thread() is threading.main_thread():  # the prefork pool's processes
        close_old_connections()
    else:  # a thread pool's thread (the demo, the tests' worker) may end with it open: closed, as before
        connections.close_all()


# Periodic work. Each task is idempotent, so a beat that fires twice changes nothing twice.
app.conf.beat_schedule = {
    "surveys-send-due": {"task": "surveys.tasks.send_due_campaigns", "schedule": 60.0},
    "surveys-send-reminders": {"task": "surveys.tasks.send_due_reminders", "schedule": 15 * 60.0},
    # The lost-work sweeps: every 15 s for work older than 30 s (SWEEP_AFTER), so work a fault lost
    # waits 30-45 s. Lost answers and deliveries are found through partial indexes; the answers' sweep
    # runs once at a time (single_flight), the webhooks' queues a lost delivery again once per 30 s.
    "followups-sweep-unrouted": {"task": "followups.tasks.sweep_unrouted_responses", "schedule": 15.0},
    "followups-escalate-overdue": {"task": "followups.tasks.escalate_overdue", "schedule": 5 * 60.0},
    "webhooks-sweep-lost": {"task": "webhooks.tasks.sweep_lost_deliveries", "schedule": 15.0},
    "api-sweep-triggered": {"task": "api.tasks.sweep_triggered_invitations", "schedule": 15 * 60.0},
    "surveys-account-health": {"task": "surveys.tasks.refresh_account_health", "schedule": 10 * 60.0},
    "scoring-refresh-rollup": {"task": "scoring.tasks.refresh_rollup", "schedule": 30.0},
    "scoring-sweep-board-reports": {"task": "scoring.tasks.sweep_board_reports", "schedule": 60.0},
    "themes-nightly": {"task": "themes.tasks.nightly_themes", "schedule": crontab(hour=2, minute=30)},
    "scoring-weekly-chat-summary": {"task": "scoring.tasks.post_weekly_summaries", "schedule": crontab(minute=7)},
    "followups-retrain-root-causes": {
        "task": "followups.tasks.retrain_root_causes",
        "schedule": crontab(hour=2, minute=45),
    },
    "scoring-nps-alerts": {"task": "scoring.tasks.check_nps_alerts", "schedule": crontab(minute=10)},
    "scoring-scheduled-reports": {"task": "scoring.tasks.send_scheduled_reports", "schedule": crontab(minute=5)},
    "followups-daily-kudos": {"task": "followups.tasks.send_daily_kudos", "schedule": crontab(minute=9)},
    "core-retention-purge": {"task": "core.tasks.retention_purge", "schedule": crontab(hour=3, minute=15)},
}


@worker_init.connect
def _load_url_patterns(**kwargs):
    """In the worker's main process, before the pool starts: the URL patterns, and with them every view.
    The worker's e-mails link to pages, and the first reverse() imports them otherwise, in each pool
    process, inside its first task (half a second of CPU each: the first batch of answers after a
    start waited for it). Loaded here, the pool processes share them."""
    load_url_patterns()


@worker_process_init.connect
def _freeze_loaded(**kwargs):
    """Each pool process, once started: what it has loaded, out of the full collections' way."""
    freeze_loaded()
