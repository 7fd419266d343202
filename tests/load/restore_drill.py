"""`make restore-drill`: a backup is only as good as its restore, so do one.

Populates a scratch database (the demo's data, rollups refreshed, checked with `check_data`), dumps
it with `pg_dump -Fc`, restores the dump into a new database with `pg_restore`, and on the restored
one runs `migrate --check` and `check_data`, then compares every table's row count and every
dashboard figure with the original's. Works in a PostgreSQL cluster of its own in a scratch folder
(tests/load/pgcluster.py; the shared server at LOAD_PG_URL when there are no server binaries), on
localhost, every step bounded in time; removes everything it made, also when it fails or is
interrupted. Prints one JSON object as its last line and exits non-zero unless the restore is
complete and consistent.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from tests.load.pgcluster import ScratchCluster, find_bin

ROOT = Path(__file__).resolve().parents[2]
STEP_TIMEOUT = 600  # seconds any one step may take


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(admin_url: str, name: str) -> str:
    return f"{admin_url.rsplit('/', 1)[0]}/{name}"


def tool(name: str) -> str:
    """pg_dump / pg_restore of the server's own version when we have its binaries, else from PATH."""
    folder = find_bin()
    if folder and (folder / name).exists():
        return str(folder / name)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} not found")
    return found


def manage(url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "KRINGLOOP_ENV": "development",
        "DATABASE_URL": url,
        "DEBUG": "0",
        "LOG_LEVEL": "ERROR",
        "EMAIL_BACKEND": "core.mail.OutboxBackend",
    }
    env.pop("REDIS_URL", None)  # no broker: the drill runs no worker (e-mails go to the outbox at once)
    env.pop("CELERY_BROKER_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=check,
        timeout=STEP_TIMEOUT,
        capture_output=True,
        text=True,
    )


def row_counts(url: str) -> dict[str, int]:
    """Exact row counts of every table in the public schema."""
    with psycopg.connect(url) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            ).fetchall()
        ]
        return {table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in tables}


FIGURES = """
import json
from scoring.consistency import everything, figures
from scoring.filters import KINDS
from scoring.freshness import one_look
out = {}
for kind in KINDS:
    with one_look():
        out[kind] = figures(everything(kind))
print(json.dumps(out, default=str))
"""


def dashboard_figures(url: str) -> dict:
    """Every figure of the dashboard's NPS panels, for each survey type over all time, as a page reads them."""
    done = manage(url, "shell", "-c", FIGURES)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--responses", type=int, default=20_000, help="answers in the populated database")
    parser.add_argument("--contacts", type=int, default=2_000)
    parser.add_argument("--name", default="drill", help="scratch databases kringloop_NAME_source and _restored")
    parser.add_argument("--logs", type=Path, default=None, help="accepted for symmetry with the other load tools")
    args = parser.parse_args()

    started = time.monotonic()
    cluster = ScratchCluster(port=free_port(), name=f"kringloop-{args.name}").create() if find_bin() else None
    admin = (
        cluster.admin_url if cluster else os.environ.get("LOAD_PG_URL", "postgres://postgres@localhost:5432/postgres")
    )
    source_name, restored_name = f"kringloop_{args.name}_source", f"kringloop_{args.name}_restored"
    source, restored = database_url(admin, source_name), database_url(admin, restored_name)
    work = Path(tempfile.mkdtemp(prefix="kringloop-drill-"))
    figures: dict = {"postgresql": "a cluster of its own" if cluster else "shared server"}
    try:
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in (source_name, restored_name):
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{source_name}"')

        step = time.monotonic()
        manage(source, "migrate", "--noinput", "-v0")
        manage(source, "seed_demo", "--responses", str(args.responses), "--contacts", str(args.contacts))
        manage(source, "refresh_rollup")
        figures["populate_s"] = round(time.monotonic() - step, 1)
        source_check = manage(source, "check_data", "--grace", "0", "--json", check=False)
        figures["source_check_data"] = "ok" if source_check.returncode == 0 else source_check.stdout.strip()[-2000:]

        dump = work / "kringloop.dump"
        step = time.monotonic()
        subprocess.run(
            [tool("pg_dump"), "-Fc", "--no-owner", "-f", str(dump), source], check=True, timeout=STEP_TIMEOUT
        )
        figures["dump_s"], figures["dump_mb"] = round(time.monotonic() - step, 1), round(dump.stat().st_size / 1e6, 1)

        step = time.monotonic()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{restored_name}"')
        subprocess.run(
            [tool("pg_restore"), "--no-owner", "--exit-on-error", "-d", restored, str(dump)],
            check=True,
            timeout=STEP_TIMEOUT,
        )
        figures["restore_s"] = round(time.monotonic() - step, 1)

        migrate = manage(restored, "migrate", "--check", check=False)
        figures["migrate_check"] = "ok" if migrate.returncode == 0 else (migrate.stdout + migrate.stderr)[-1000:]
        restored_check = manage(restored, "check_data", "--grace", "0", "--json", check=False)
        figures["check_data"] = "ok" if restored_check.returncode == 0 else restored_check.stdout.strip()[-2000:]

        before, after = row_counts(source), row_counts(restored)
        figures["tables"] = len(before)
        figures["rows"] = sum(before.values())
        figures["row_mismatches"] = {
            table: [before.get(table), after.get(table)]
            for table in sorted(set(before) | set(after))
            if before.get(table) != after.get(table)
        }
        shown_before, shown_after = dashboard_figures(source), dashboard_figures(restored)
        figures["dashboard_figures"] = sum(len(panels) for panels in shown_before.values())
        figures["figure_mismatches"] = [
            f"{kind}: {name}"
            for kind, panels in shown_before.items()
            for name, value in panels.items()
            if shown_after.get(kind, {}).get(name) != value
        ]
    except subprocess.CalledProcessError as error:
        figures["error"] = (
            f"{' '.join(map(str, error.cmd))[:200]} exited with {error.returncode}: {error.stderr or ''}"[-2000:]
        )
    except Exception as error:  # reported on the JSON line, then cleaned up
        figures["error"] = f"{type(error).__name__}: {error}"[:2000]
    finally:
        try:
            with psycopg.connect(admin, autocommit=True) as conn:
                for name in (source_name, restored_name):
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except Exception as error:
            print(f"note: could not drop the drill's databases: {error}", file=sys.stderr)
        shutil.rmtree(work, ignore_errors=True)
        if cluster is not None:
            cluster.remove()
    figures["total_s"] = round(time.monotonic() - started, 1)
    ok = (
        "error" not in figures
        and figures["source_check_data"] == "ok"
        and figures["migrate_check"] == "ok"
        and figures["check_data"] == "ok"
        and not figures["row_mismatches"]
        and not figures["figure_mismatches"]
        and figures["rows"] > 0
    )
    figures["ok"] = ok
    print(json.dumps(figures))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
