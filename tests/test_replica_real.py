"""A real PostgreSQL streaming replica (core/replica.py): a scratch primary and its pg_basebackup
replica on ports of their own (tests/load/pgcluster.py), never the machine's shared server. The
check runs in a process of its own (tests/replica_check.py) configured for the two."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.load.pgcluster import ScratchCluster, find_bin

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.once  # its own process and scratch clusters, whatever the run's database
@pytest.mark.skipif(find_bin() is None, reason="PostgreSQL's server binaries (initdb, pg_ctl) are not installed")
def test_marked_reads_go_to_a_real_streaming_replica_and_fall_back_when_it_stops():
    primary = ScratchCluster(port=_free_port()).create()
    try:
        with psycopg.connect(primary.admin_url, autocommit=True) as conn:
            conn.execute("CREATE DATABASE kringloop")
        standby = primary.replica(port=_free_port())
        try:
            stop = [str(standby.bin / "pg_ctl"), "-D", str(standby.data), "-m", "fast", "-w", "stop"]
            if standby._as_postgres:
                stop = ["runuser", "-u", "postgres", "--", *stop]
            env = {
                **os.environ,
                "KRINGLOOP_ENV": "development",
                "DATABASE_URL": f"postgres://postgres@127.0.0.1:{primary.port}/kringloop",
                "DATABASE_REPLICA_URL": f"postgres://postgres@127.0.0.1:{standby.port}/kringloop",
                "REPLICA_CHECK_S": "0",
                "REPLICA_MAX_LAG_S": "1",  # the quiet spell it waits out is a second longer
                "KRINGLOOP_DEMO_DIR": str(primary.root / "demo"),
            }
            run = subprocess.run(
                [sys.executable, "-m", "tests.replica_check", *stop],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=240,
            )
        finally:
            standby.remove()
    finally:
        primary.remove()
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    assert figures["replica_contacts"] == figures["primary_contacts"] == 50
    assert figures["status"]["usable"] is True and figures["lag_seconds"] < 10
    assert figures["status_after_stop"]["reason"] == "unreachable"
    # The first write after a quiet spell is not lag once replayed; a paused replay is.
    assert figures["status_replay_paused"]["reason"] == "lagging", figures["status_replay_paused"]
    assert figures["status_after_quiet"]["usable"] is True, figures["status_after_quiet"]
