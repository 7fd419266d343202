"""Running a learning job (themes.fit) in a process of its own, so that scikit-learn's memory is
returned when the job ends (themes.fit says why). Used by theme discovery and by the root-cause
suggestions (followups.suggestions)."""

import json
import subprocess
import sys
from pathlib import Path

TIMEOUT = 30 * 60  # a nightly job; bounded all the same
ROOT = Path(__file__).resolve().parent.parent


class LearningFailed(RuntimeError):
    """The job's process failed; its last words are the message."""


def run(job: dict, *, timeout: float = TIMEOUT) -> dict:
    """Run one job ({"job": "topics" | "classifier", …}: themes.fit) and return its result."""
    done = subprocess.run(
        [sys.executable, "-m", "themes.fit"],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        check=False,
    )
    if done.returncode != 0:
        raise LearningFailed(done.stderr.strip()[-2000:] or f"themes.fit exited with {done.returncode}")
    return json.loads(done.stdout)
