"""The layers hold (pyproject.toml, [tool.importlinter]; README, Architecture): no import cycles,
and core reaches the Celery app and the answer-processing tasks without importing the apps above it.

`make lint` checks the layers and cycles within each app with import-linter; the cycle test here
also runs with the suite alone and sees cycles across apps too."""

import threading

import grimp
from celery import current_app

from core import handoff

APPS = ("config", "demo", "api", "scoring", "followups", "surveys", "webhooks", "core")


def cycles(graph) -> list[str]:
    """Every direct import a -> b for which b also leads back to a, with the way back.
    grimp reads imports inside functions too, so a cycle hidden in a function counts."""
    found = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back:
                found.append(" -> ".join((importer, *back)))
    return found


def test_no_import_cycles_between_our_modules():
    assert cycles(grimp.build_graph(*APPS, cache_dir=None)) == []


def test_the_cycle_check_sees_a_cycle_hidden_in_a_function():
    graph = grimp.build_graph(*APPS, cache_dir=None)
    graph.add_import(importer="core.queue", imported="core.handoff")  # as `def f(): from core import handoff` would
    assert "core.queue -> core.handoff -> core.queue" in cycles(graph)


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
