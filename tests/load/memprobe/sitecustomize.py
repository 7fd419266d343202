"""Memory probe for `make soak --tracemalloc` (tests/load/soak.py): on PYTHONPATH only for that run.

Starts tracemalloc (one frame per allocation) in every Python process of the stack and, in each
process and each forked child (gunicorn's workers, Celery's pool), writes every MEMPROBE_EVERY
seconds a snapshot and a count of live objects by type to MEMPROBE_DIR/<role>-<pid>-<n>.snap/.types.
tests/load/memprobe_report.py compares a process's snapshot after the warm-up with its last one.
Never used by the product."""

import os


def _wanted() -> bool:
    """Only the stack's long-running processes (gunicorn, Celery's worker and beat), not migrate."""
    import sys

    argv = " ".join(getattr(sys, "orig_argv", sys.argv))
    return bool(os.environ.get("MEMPROBE_DIR")) and any(name in argv for name in ("gunicorn", "celery"))


if _wanted():
    import gc
    import json
    import sys
    import threading
    import time
    import tracemalloc

    _DIR = os.environ["MEMPROBE_DIR"]
    _EVERY = float(os.environ.get("MEMPROBE_EVERY") or 300)

    def _role() -> str:
        argv = " ".join(getattr(sys, "orig_argv", sys.argv))
        for role in ("gunicorn", "beat", "worker"):
            if role in argv:
                return role
        return "other"

    def _dump(n: int) -> None:
        base = os.path.join(_DIR, f"{_role()}-{os.getpid()}-{n:03d}")
        tracemalloc.take_snapshot().dump(base + ".snap")
        counts: dict[str, int] = {}
        for obj in gc.get_objects():
            name = type(obj).__qualname__
            counts[name] = counts.get(name, 0) + 1
        with open(base + ".types", "w") as out:
            json.dump({"t": time.time(), "traced": tracemalloc.get_traced_memory()[0], "types": counts}, out)

    def _loop() -> None:
        n = 0
        while True:
            time.sleep(_EVERY)
            n += 1
            try:
                _dump(n)
            except Exception as exc:  # a probe never takes a process down
                print(f"memprobe: {exc}", file=sys.stderr)

    def _start() -> None:
        threading.Thread(target=_loop, name="memprobe", daemon=True).start()

    os.makedirs(_DIR, exist_ok=True)
    tracemalloc.start(int(os.environ.get("MEMPROBE_FRAMES") or 1))
    _start()
    os.register_at_fork(after_in_child=_start)
