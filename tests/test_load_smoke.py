"""`make bench` (also with --replica), `make chaos` and `make restore-drill` at small sizes, so a schema
change cannot break them unnoticed.

Each runs the real tool in a subprocess (its own scratch PostgreSQL database and private Redis, all
on localhost, every loop bounded) and checks that it ran to completion and printed its figures. The
performance goals are not checked here: this machine is shared while the suite runs.
"""

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.load.pgcluster import find_bin

ROOT = Path(__file__).resolve().parent.parent

# The tools need a PostgreSQL server (they make scratch databases on it), not the run's database:
# make test runs them in one of its two runs (`once`, tests/conftest.py).
pytestmark = [pytest.mark.load, pytest.mark.once]


def _pg_admin_url() -> str:
    """LOAD_PG_URL, else the run's PostgreSQL server, else PostgreSQL on localhost as CI has it."""
    if os.environ.get("LOAD_PG_URL"):
        return os.environ["LOAD_PG_URL"]
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        return "postgres://postgres@localhost:5432/postgres"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/postgres"


_TAKEN: set[int] = set()


def _free_port() -> int:
    """A port nothing listens on now, and not handed out before in this run."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in _TAKEN:
            _TAKEN.add(port)
            return port


class Run:
    """One tool in a subprocess of its own; `result()` waits for it (bounded) and returns (stdout, figures)."""

    def __init__(self, module: str, *args: str, logs: Path, timeout: float, name: str = ""):
        env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}
        env["LOAD_PG_URL"] = _pg_admin_url()
        name = f"{name or module.rsplit('.', 1)[1]}_smoke_{os.getpid()}"  # a scratch database of its own
        self.module, self.timeout = module, timeout
        self.output = (logs / "output.txt").open("w+")
        self.process = subprocess.Popen(
            [sys.executable, "-m", module, "--name", name, "--logs", str(logs), *args],
            cwd=ROOT,
            env=env,
            stdout=self.output,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def result(self) -> tuple[str, dict]:
        try:
            self.process.wait(self.timeout)
        finally:
            self.stop()
        self.output.seek(0)
        text = self.output.read()
        assert self.process.returncode == 0, f"{self.module} exited with {self.process.returncode}:\n{text[-5000:]}"
        return text, json.loads(text.strip().splitlines()[-1])

    def stop(self) -> None:
        """Ctrl-C, so the tool stops what it started and drops its scratch database."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture(scope="module")
def tools(tmp_path_factory):
    """Both tools, started together: chaos spends most of its minute waiting for the periodic sweep."""
    runs = {
        "bench": Run(
            "tests.load.bench",
            *("--responses", "2000", "--invites", "300", "--open-invitations", "3000", "--seconds", "2"),
            *("--settle-limit", "60", "--scale-to", "4000"),
            *("--port", str(_free_port()), "--redis-port", str(_free_port())),
            logs=tmp_path_factory.mktemp("bench"),
            timeout=420,
        ),
        "chaos": Run(
            "tests.load.chaos",
            *("--answers", "300", "--clients", "10", "--invitations", "500", "--notices", "30"),
            *("--faults", "worker_kill", "--time-limit", "60", "--settle", "240"),
            *("--port", str(_free_port()), "--redis-port", str(_free_port())),
            logs=tmp_path_factory.mktemp("chaos"),
            timeout=420,
        ),
        "drill": Run(
            "tests.load.restore_drill",
            *("--responses", "600", "--contacts", "60"),
            logs=tmp_path_factory.mktemp("drill"),
            timeout=600,
        ),
    }
    yield runs
    for run in runs.values():
        run.stop()


def test_make_bench_runs_every_phase_to_the_end_and_prints_its_figures(tools):
    output, figures = tools["bench"].result()
    assert "seeded 2,000 responses" in output
    measured = (
        "seed_1m_s",
        "baseline_rps",
        "baseline_p99_ms",
        "submit_rps",
        "submit_ratio",
        "submit_p99_ms",
        "submit_p99_ratio",
        "baseline_paced_p99_ms_at25",
        "submit_paced_p99_ms_at25",
        "submit_paced_p99_ratio_at25",
        "submit_paced_p99_ratio_at50",
        "submit_e2e_rps",
        "submit_e2e_ratio",
        "submit_ratio_nice0",
        "submit_e2e_ratio_nice0",
        "widget_submit_rps",
        "widget_submit_ratio",
        "widget_gzip_bytes",
        "raw_sql_ms",
        "dashboard_ms",
        "dashboard_ratio",
        "default_dashboard_ms",
        "filtered_dashboard_ms",
        "accounts_list_ms",
        "accounts_sorted_by_nps_ms",
        "board_report_s",
        "themes_100k_s",
        "theme_report_ms",
        "export_1m_rows_s",
        "export_rss_mb",
        "comments_search_ms",
        "api_summary_ms",
        "followup_p95_ms",
        "followup_routed_p95_ms",
        "invites_per_s",
        "esp_calls_per_1000_invites",
        "web_rss_mb",
        "worker_rss_mb",
        # --scale-to (tests/load/bench_scale.py): the reads again after growing to 4,000 answers
        "seed_10m_s",
        "dashboard_10m_ms",
        "dashboard_growth",
        "filtered_dashboard_10m_ms",
        "api_summary_10m_ms",
        "comments_search_10m_ms",
        "db_mb_per_1m",
    )
    assert {key: figures.get(key) for key in measured if not figures.get(key)} == {}
    assert "grew by" in output and figures["scale_to"] == 4000
    assert figures["dashboard_statements"][0] == figures["dashboard_statements"][1]  # no query per row
    assert figures["followup_probe_accepted"] == figures["followup_samples"] == 100
    assert figures["invites_sent"] == 300
    assert figures["export_rows"] >= 1900  # the seeded answers of the last 365 days (and the submit phase's)
    assert 0 < figures["widget_gzip_bytes"] < 15_000 and len(figures["widget_submit_ratio_rounds"]) == 3
    assert len(figures["submit_ratio_rounds"]) == len(figures["submit_ratio_rounds_nice0"]) == 3
    assert "submit_ratio" in output.split(json.dumps(figures))[0]  # the table came before the JSON line


def test_make_chaos_loses_nothing_through_a_worker_kill(tools):
    """Every pipeline at a small size with one fault (the full run: make chaos, README Reliability)."""
    output, figures = tools["chaos"].result()
    assert "worker_kill SIGKILL" in output
    assert figures["accepted"] == figures["stored"] == 300
    zero = ("lost", "duplicate_followups", "duplicate_owner_emails", "duplicate_invitation_emails")
    zero += ("missing_invitation_emails", "duplicate_notice_emails", "webhooks_lost", "rollup_mismatches")
    assert {key: figures[key] for key in zero} == dict.fromkeys(zero, 0)
    assert figures["followups"] == figures["followups_expected"] > 0
    assert figures["invitation_emails"] == 500 and figures["notice_emails"] == figures["notices_expected"] > 0
    assert figures["webhooks_delivered"] == figures["webhooks_expected"] > 0
    assert figures["check_data"] == {}
    assert {fault["event"] for fault in figures["faults"]} == {"worker_kill"}
    pipelines = ("answers_processed", "followups", "owner_emails", "invitation_emails", "notice_emails", "webhooks")
    assert {
        key: figures["settled_by_pipeline"][key] for key in pipelines if figures["settled_by_pipeline"][key] is None
    } == {}
    assert figures["last_webhook"]["attempts"] >= 1


def test_make_restore_drill_restores_everything_consistently(tools):
    _output, figures = tools["drill"].result()
    assert figures["ok"] is True
    assert figures["migrate_check"] == figures["check_data"] == figures["source_check_data"] == "ok"
    assert figures["row_mismatches"] == {} and figures["figure_mismatches"] == []
    assert figures["rows"] > 1000 and figures["dashboard_figures"] > 30


@pytest.mark.skipif(find_bin() is None, reason="PostgreSQL's server binaries (initdb, pg_ctl) are not installed")
def test_make_bench_replica_reads_the_dashboards_from_a_real_streaming_replica(tmp_path):
    """The replica phase alone (make bench-replica), at a small size: a scratch primary and its
    pg_basebackup replica, the dashboard timed on both, submit rounds with a reader, the lag."""
    run = Run(
        "tests.load.bench",
        *("--replica", "--phases", "replica", "--responses", "2000", "--invites", "10", "--open-invitations", "3000"),
        *("--seconds", "1.5", "--settle-limit", "60", "--worker-nice", "0"),  # at nice 10 a busy machine starves it
        *("--port", str(_free_port()), "--redis-port", str(_free_port())),
        *("--pg-port", str(_free_port()), "--replica-port", str(_free_port())),
        logs=tmp_path,
        timeout=420,
        name="bench_replica",
    )
    output, figures = run.result()
    assert "streaming replica on port" in output
    for key in ("replica_primary_dashboard_ms", "replica_dashboard_ms", "replica_dashboard_ratio"):
        assert figures[key] > 0, key
    # The replica served the dashboards once the web was told of it, and nothing before them.
    assert figures["replica_rows_read_before_dashboards"] == 0
    assert figures["replica_dashboard_rows_read"] > 0 and figures["replica_web_connections"] > 0
    assert figures["replica_health"]["usable"] is True, figures["replica_health"]
    assert figures["replica_lag_samples"] > 0 and figures["replica_lag_max_ms"] is not None
    assert figures["replica_lag_max_bytes"] >= 0 and figures["replica_lag_unconnected_samples"] == 0
    for suffix in ("_primary_reads", "_replica_reads"):
        assert figures[f"submit_ratio{suffix}"] > 0 and len(figures[f"submit_ratio_rounds{suffix}"]) == 3
        assert figures[f"submit_e2e_rps{suffix}"] > 0 and figures[f"submit_p99_ratio{suffix}"] > 0
    assert figures["primary_reads_reader_dashboards"] > 0 and figures["replica_reads_reader_dashboards"] > 0
    assert figures["replica_reads_reader_failures"] == 0
    assert "replica_dashboard_ms" in output.split(json.dumps(figures))[0]  # the table came before the JSON line
