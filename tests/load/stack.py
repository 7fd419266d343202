"""Start and stop a production-like Kringloop on this machine, for `make chaos` and `make bench`.

Everything binds to 127.0.0.1 and is stopped on exit. PostgreSQL is the machine's server (a
scratch database is created and dropped); Redis is a private `redis-server` on its own port, so
restarting it never disturbs anything else.
"""

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def pg_admin_url() -> str:
    return os.environ.get("LOAD_PG_URL", "postgres://postgres@localhost:5432/postgres")


def recreate_database(name: str) -> str:
    with psycopg.connect(pg_admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    base = pg_admin_url().rsplit("/", 1)[0]
    return f"{base}/{name}"


def drop_database(name: str) -> None:
    with psycopg.connect(pg_admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return
        except Exception:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up within {timeout:.0f} s")


class Stack:
    """The processes of one run. `env` is what every process (and the caller's Django) uses."""

    def __init__(
        self,
        *,
        name: str,
        web_port: int,
        redis_port: int,
        web_workers: int = 2,
        web_threads: int = 8,
        worker_concurrency: int = 2,
        worker_nice: int = 10,
        logs: Path | None = None,
    ):
        self.name = name
        self.web_port = web_port
        self.redis_port = redis_port
        self.web_workers = web_workers
        self.web_threads = web_threads
        self.worker_concurrency = worker_concurrency
        # The background worker yields the CPU to the web requests, as README "Deploying" recommends.
        self.worker_nice = worker_nice
        self.logs = logs or ROOT / "artifacts" / name
        self.logs.mkdir(parents=True, exist_ok=True)
        self.redis_dir = self.logs / "redis"
        self.procs: dict[str, subprocess.Popen] = {}
        self.database_url = ""
        self.env: dict[str, str] = {}
        self.restarts: dict[str, int] = {}
        self._supervising = threading.Event()
        self.start_timeout = 60.0  # seconds the web may take to answer (longer with tracemalloc on)

    # --- set-up ---------------------------------------------------------------------------------
    def prepare(self) -> dict[str, str]:
        try:
            return self._prepare()
        except BaseException:  # interrupted or failed: stop the private Redis it may have started
            self.stop()
            raise

    def _prepare(self) -> dict[str, str]:
        self.database_url = recreate_database(f"kringloop_{self.name}")
        redis_url = f"redis://127.0.0.1:{self.redis_port}/0"
        self.env = {
            **os.environ,
            "KRINGLOOP_ENV": "development",  # production-like processes, local hosts, outbox mail
            "DEBUG": "0",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": redis_url,
            "EMAIL_BACKEND": "core.mail.OutboxBackend",
            "SITE_URL": f"http://127.0.0.1:{self.web_port}",
            "KRINGLOOP_DEMO_DIR": str(self.logs / "demo"),
            "LOG_LEVEL": "WARNING",
            # The runs measure a case opened and its owner e-mailed; the alert's wait for the "why" is off.
            "OWNER_ALERT_HOLD_SECONDS": "0",
            "PYTHONUNBUFFERED": "1",
        }
        self.start_redis()
        self.manage("migrate", "--noinput", "-v0")
        return self.env

    def manage(self, *args: str) -> None:
        subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, check=True)

    # --- processes ------------------------------------------------------------------------------
    def _spawn(self, name: str, cmd: list[str]) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.procs[name] = proc
        return proc

    def start_redis(self) -> None:
        self.redis_dir.mkdir(parents=True, exist_ok=True)
        self._spawn(
            "redis",
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.redis_dir),
            ],
        )
        deadline = time.monotonic() + 20
        import redis

        while time.monotonic() < deadline:
            try:
                redis.Redis(port=self.redis_port, socket_connect_timeout=1).ping()
                return
            except Exception:
                time.sleep(0.2)
        raise RuntimeError("redis-server did not start")

    def start_web(self) -> None:
        self._spawn(
            "web",
            [
                PYTHON,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{self.web_port}",
                "--workers",
                str(self.web_workers),
                "--threads",
                str(self.web_threads),
                "--worker-class",
                "gthread",
                "--timeout",
                "60",
                "--log-level",
                "warning",
            ],
        )
        wait_http(f"http://127.0.0.1:{self.web_port}/healthz", timeout=self.start_timeout)

    def start_worker(self, name: str = "worker") -> None:
        nice = ["nice", "-n", str(self.worker_nice)] if self.worker_nice else []
        self._spawn(
            name,
            [
                *nice,
                PYTHON,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--loglevel",
                os.environ.get("LOAD_CELERY_LOG_LEVEL", "WARNING"),
                "--concurrency",
                str(self.worker_concurrency),
                "--hostname",
                f"{name}@%h",
                "--without-gossip",
                "--without-mingle",
            ],
        )
        if self.worker_nice:
            # Linux shares CPU between sessions (autogroups) before nice counts, and the worker runs in a
            # session of its own: its autogroup gets the same lower priority (best effort).
            try:
                Path(f"/proc/{self.procs[name].pid}/autogroup").write_text(str(self.worker_nice))
            except OSError:
                pass

    def start_beat(self) -> None:
        self._spawn(
            "beat",
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "--loglevel",
                os.environ.get("LOAD_CELERY_LOG_LEVEL", "WARNING"),
                "--schedule",
                str(self.logs / "celerybeat-schedule"),
            ],
        )

    def supervise(self, starters: dict, interval: float = 1.0) -> None:
        """Start again any of these processes ({name: start function}) that exits on its own, as the
        deployment's process supervisor does (README: Deploying). Stops with stop()."""

        def watch():
            while not self._supervising.wait(interval):
                for name, start in starters.items():
                    proc = self.procs.get(name)
                    if proc is not None and proc.poll() is not None:
                        print(f"[stack] {name} exited with {proc.returncode}; starting it again", flush=True)
                        self.restarts[name] = self.restarts.get(name, 0) + 1
                        start()

        threading.Thread(target=watch, daemon=True).start()

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.procs.pop(name, None)
        if proc and proc.poll() is None:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=30)

    def restart_redis(self) -> None:
        self.kill("redis", signal.SIGKILL)
        time.sleep(1)
        self.start_redis()

    def stop(self) -> None:
        self._supervising.set()
        for name in list(self.procs):
            proc = self.procs[name]
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 15
        for _name, proc in list(self.procs.items()):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        self.procs.clear()


@contextmanager
def running(stack: Stack, *, keep_database: bool = False):
    try:
        yield stack
    finally:
        stack.stop()
        if not keep_database:
            try:
                drop_database(f"kringloop_{stack.name}")
            except Exception as exc:  # leaving a scratch database behind is not worth a traceback
                print(f"note: could not drop scratch database: {exc}", file=sys.stderr)
