"""The layers hold (pyproject.toml, [tool.importlinter]; README, Architecture): no import cycles,
and core reaches the Celery app and the answer-processing tasks without importing the apps above it.

`make lint` checks the layers and cycles within each app with import-linter; the cycle test here
also runs with the suite alone and sees cycles across apps too."""

import ast
import threading
from pathlib import Path

import grimp
from celery import current_app

from core import handoff

APPS = {"config", "demo", "api", "scoring", "followups", "surveys", "webhooks", "core"}


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
    assert cycles(grimp.build_graph(*sorted(APPS), cache_dir=None)) == []


def test_the_cycle_check_sees_a_cycle_hidden_in_a_function():
    graph = grimp.build_graph(*sorted(APPS), cache_dir=None)
    graph.add_import(importer="core.queue", imported="core.handoff")  # as `def f(): from core import handoff` would
    assert "core.queue -> core.handoff -> core.queue" in cycles(graph)


def private_uses(root: Path) -> list[str]:
    """Where one app reaches for another app's private name (`_name`): `from surveys.imports import
    _owners` or `imports._owners()`. An app offers what others need as public functions."""
    found = []
    for path in sorted(path for app in APPS for path in (root / app).rglob("*.py")):
        app = path.relative_to(root).parts[0]
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        other_apps_modules = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in APPS - {app}:
                for alias in node.names:
                    if alias.name.startswith("_"):
                        found.append(f"{path}:{node.lineno} from {node.module} import {alias.name}")
                    other_apps_modules.add(alias.asname or alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] in APPS - {app}:
                        other_apps_modules.add((alias.asname or alias.name).split(".")[0])
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and node.attr != "_meta"  # Django's public model options
                and ast.unparse(node.value).split(".")[0] in other_apps_modules
            ):
                found.append(f"{path}:{node.lineno} {ast.unparse(node)}")
    return found


def test_no_app_uses_another_apps_private_names():
    assert private_uses(Path(__file__).resolve().parent.parent) == []


def test_the_private_name_check_sees_one(tmp_path):
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "x.py").write_text("from surveys import imports\nimports._owners()\n")
    (tmp_path / "surveys").mkdir()
    (tmp_path / "surveys" / "y.py").write_text("from surveys.imports import _owners\n")  # its own: fine
    assert private_uses(tmp_path) == [f"{tmp_path / 'api' / 'x.py'}:2 imports._owners"]


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
