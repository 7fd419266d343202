"""A PostgreSQL cluster of the load tools' own, in a scratch folder on a port of its own, so `make chaos`
can restart PostgreSQL itself without touching the machine's shared server (`make restore-drill`
uses one too). Built with the machine's PostgreSQL binaries (/usr/lib/postgresql/<version>/bin, or
PG_BIN); as root the binaries run as the `postgres` user, since initdb refuses to run as root.
"""

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg


def find_bin() -> Path | None:
    """The folder of the newest PostgreSQL server binaries on this machine, or None."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    found = shutil.which("pg_ctl")
    return Path(found).parent if found and shutil.which("initdb") else None


class ScratchCluster:
    """initdb, start, restart (like a crash: -m immediate) and remove a throw-away cluster."""

    def __init__(self, *, port: int, name: str = "kringloop"):
        self.port = port
        self.bin = find_bin()
        if self.bin is None:
            raise RuntimeError("no PostgreSQL server binaries found (set PG_BIN)")
        self.root = Path(tempfile.mkdtemp(prefix=f"{name}-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root / "socket"
        self.log = self.root / "postgres.log"
        self._as_postgres = os.geteuid() == 0

    @property
    def admin_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        command = [str(self.bin / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=check, timeout=timeout, capture_output=True, text=True)

    def create(self) -> "ScratchCluster":
        self.socket_dir.mkdir(parents=True)
        if self._as_postgres:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.socket_dir, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.socket_dir}'\n"
                # fsync off: a stop -m immediate kills the server's processes, not the machine, so what
                # reached the OS survives. synchronous_commit stays on, as in production: with it off
                # a crash forgets commits already confirmed to the client (an answer accepted, then lost).
                "max_connections = 200\nshared_buffers = 64MB\nfsync = off\nfull_page_writes = off\n"
                "logging_collector = off\n"
            )
        self.start()
        return self

    def replica(self, *, port: int, timeout: float = 900) -> "ScratchCluster":
        """A streaming replica of this cluster (pg_basebackup -R), started on `port`: it replays the
        primary's changes and answers reads. Removed with its own remove(); when making it fails or is
        interrupted, what was made of it is removed at once. `timeout` bounds the base backup."""
        with open(self.data / "pg_hba.conf", "a") as hba:
            hba.write("\nhost replication postgres 127.0.0.1/32 trust\n")
        self._run("pg_ctl", "-D", str(self.data), "reload")
        standby = ScratchCluster(port=port, name="kringloop-replica")
        try:
            standby.socket_dir.mkdir(parents=True)
            if standby._as_postgres:
                shutil.chown(standby.root, "postgres")
                shutil.chown(standby.socket_dir, "postgres")
            standby._run(
                "pg_basebackup", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-D", str(standby.data),
                "-R", "-X", "stream", "--checkpoint=fast", "--no-sync", timeout=timeout,
            )  # fmt: skip
            with open(standby.data / "postgresql.conf", "a") as conf:
                conf.write(f"\nport = {port}\nunix_socket_directories = '{standby.socket_dir}'\nhot_standby = on\n")
            standby.start()
        except BaseException:
            standby.remove()
            raise
        return standby

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")
        self.wait_ready()

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg.connect(self.admin_url, connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def restart(self) -> float:
        """Stop at once, as if the server crashed (crash recovery on start), and start again; seconds down."""
        started = time.monotonic()
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        self.start()
        return time.monotonic() - started

    def terminate_connections(self, database: str) -> int:
        """pg_terminate_backend of every connection to `database` (but this one); how many."""
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [database],
            ).fetchall()
        return sum(1 for (done,) in rows if done)

    def remove(self) -> None:
        if self.data.exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self.create()

    def __exit__(self, *exc):
        self.remove()
