"""The layers hold (pyproject.toml, [tool.importlinter]; README, Architecture): core reaches the
Celery app and the answer-processing tasks without importing the apps above it."""

import threading

from celery import current_app

from core import handoff


def test_followups_names_the_tasks_that_process_handed_off_answers():
    from followups import tasks

    assert handoff.consumer() == {"one": tasks.process_response.name, "batch": tasks.process_responses.name}


def test_core_reaches_the_project_celery_app_from_any_thread():
    from config.celery import app

    seen = []
    thread = threading.Thread(target=lambda: seen.append(current_app._get_current_object()))
    thread.start()
    thread.join()
    assert seen == [app]  # the dispatcher thread and the web's threads publish through it, not a default app
