"""`make demo` runs on SQLite while the suite runs on PostgreSQL: its main pages and the answer flow,
once, on SQLite."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.once  # its own process and database, whatever the run's
def test_the_staff_pages_the_respondent_and_the_follow_up_step_work_on_the_demos_sqlite(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(KRINGLOOP_ENV="development", KRINGLOOP_DEMO_DIR=str(tmp_path))
    run = subprocess.run(
        [sys.executable, "-m", "tests.sqlite_answer_flow"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "naive datetime" not in run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert {name: status for name, status in result.pop("pages").items() if status != 200} == {}
    assert result == {
        "vendor": "sqlite",
        "answer_status": 302,
        "location": result["location"],
        "why_status": 200,
        "details_status": 302,
        "comment": "Slow support",
        "answered_at_is_submitted_at": True,
        "status": "answered",
        "case": True,
        "swept": result["swept"],
        "lost_case": True,
    }
    assert result["swept"] >= 1
    assert result["location"].endswith("/why/")
