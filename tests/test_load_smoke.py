"""`make bench` and `make chaos` at small sizes, so that a schema change cannot break them unnoticed.

Each runs the real tool in a subprocess (its own scratch PostgreSQL database and private Redis, all
on localhost, every loop bounded) and checks that it ran to completion and printed its figures. The
performance goals are not checked here: this machine is shared while the suite runs.
"""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.load, pytest.mark.postgres("make bench and make chaos seed and run on PostgreSQL")]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(module: str, *args: str, logs: Path, timeout: float) -> tuple[subprocess.CompletedProcess, dict]:
    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    admin_url = f"postgres://{db['USER']}{password}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/postgres"
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}
    env["LOAD_PG_URL"] = admin_url
    name = f"{module.rsplit('.', 1)[1]}_smoke_{os.getpid()}"  # a scratch database of its own
    run = subprocess.run(
        [sys.executable, "-m", module, "--name", name, "--logs", str(logs), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    lines = run.stdout.strip().splitlines()
    assert run.returncode == 0, f"{module} exited with {run.returncode}:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    return run, json.loads(lines[-1])


def test_make_bench_runs_every_phase_to_the_end_and_prints_its_figures(tmp_path):
    run, figures = _run(
        "tests.load.bench",
        *("--responses", "2000", "--invites", "300", "--open-invitations", "3000", "--seconds", "2"),
        *("--port", str(_free_port()), "--redis-port", str(_free_port())),
        logs=tmp_path,
        timeout=420,
    )
    assert "seeded 2,000 responses" in run.stdout
    measured = (
        "seed_1m_s",
        "baseline_rps",
        "baseline_p99_ms",
        "submit_rps",
        "submit_ratio",
        "submit_p99_ms",
        "dashboard_busy_ms",
        "raw_sql_ms",
        "dashboard_ms",
        "dashboard_ratio",
        "default_dashboard_ms",
        "filtered_dashboard_ms",
        "followup_p95_ms",
        "followup_routed_p95_ms",
        "invites_per_s",
        "web_rss_mb",
        "worker_rss_mb",
    )
    assert {key: figures.get(key) for key in measured if not figures.get(key)} == {}
    assert figures["followup_probe_accepted"] == figures["followup_samples"] == 100
    assert figures["invites_sent"] == 300
    assert "submit_ratio" in run.stdout.split(json.dumps(figures))[0]  # the table came before the JSON line


def test_make_chaos_loses_nothing_through_a_worker_kill_and_a_redis_restart(tmp_path):
    run, figures = _run(
        "tests.load.chaos",
        *("--answers", "300", "--clients", "10", "--time-limit", "60", "--settle", "200"),
        *("--port", str(_free_port()), "--redis-port", str(_free_port())),
        logs=tmp_path,
        timeout=420,
    )
    assert "SIGKILL the Celery worker" in run.stdout and "restart Redis" in run.stdout
    assert figures["accepted"] == figures["stored"] == 300
    assert figures["lost"] == figures["duplicate_followups"] == figures["duplicate_owner_emails"] == 0
    assert figures["followups"] == figures["followups_expected"] > 0
    assert figures["owner_emails"] > 0
    assert figures["settled_s"] > 0
