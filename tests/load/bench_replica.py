"""`make bench --replica` (`make bench BENCH_ARGS=--replica`, or `make bench-replica` for this phase
alone): the reports read from a real PostgreSQL streaming replica (core/replica.py).

- **Clusters of its own.** A base backup needs a server we configure, never the machine's shared one,
  so with --replica the bench's database lives in a scratch primary (initdb on --pg-port, the
  machine's PostgreSQL binaries, tests/load/pgcluster.py), and this phase adds its replica:
  `pg_basebackup -R` into a scratch folder, started with `pg_ctl` on --replica-port. Both are
  stopped and removed when the bench ends, also on Ctrl-C, SIGTERM or a failure.
- **The dashboard on the replica.** The same dashboard (12 months, both kinds) is timed with the web
  reading from the primary (`replica_primary_dashboard_ms`) and again after the web restarts with
  DATABASE_REPLICA_URL (`replica_dashboard_ms`, `replica_dashboard_ratio` = replica ÷ primary).
  That the replica served it is checked on the replica: its statistics count the rows the web's
  queries read from the product's tables there (`replica_dashboard_rows_read`; none before the
  dashboards, `replica_rows_read_before_dashboards`), its client connections to the database
  (`replica_web_connections`), and /healthz's `replica` section (`replica_health`).
- **Submit with readers.** The submit rounds (tests/load/bench_submit.py) run twice while a reader
  thread loads that dashboard, pausing READER_PAUSE_S between loads: first with the dashboards read
  from the primary (keys ending in `_primary_reads`), then from the replica (`_replica_reads`,
  e.g. `submit_ratio_replica_reads`); the reader's own median is `*_reader_dashboard_ms`.
- **Lag.** During the replica rounds the primary's `pg_stat_replication.replay_lag` is sampled every
  LAG_SAMPLE_S: `replica_lag_p95_ms`, `replica_lag_max_ms` (0 when the replica has caught up) and
  `replica_lag_max_bytes` (WAL written on the primary and not yet replayed).

On this machine primary and replica share the same 2 cores (and the same scratch settings), so the
phase shows what the replica costs and that it works, not the capacity a replica on its own machine adds.
"""

import http.client
import json
import os
import signal
import statistics
import threading
import time
from urllib.parse import urlsplit

import psycopg

from tests.load.measure import p
from tests.load.pgcluster import ScratchCluster, find_bin
from tests.load.restore_drill import free_port

DASHBOARD = "/dashboard/?period=365d&kind=all"
READER_PAUSE_S = 0.25
LAG_SAMPLE_S = 0.2


def add_arguments(parser) -> None:
    parser.add_argument(
        "--replica",
        action="store_true",
        help="the database in a scratch PostgreSQL primary with a real streaming replica; adds the replica phase",
    )
    parser.add_argument("--pg-port", type=int, default=0, help="the scratch primary's port (--replica; 0: a free one)")
    parser.add_argument("--replica-port", type=int, default=0, help="the replica's port (--replica; 0: a free one)")


class ReplicaClusters:
    """With --replica: the scratch primary from entry to exit (LOAD_PG_URL points the bench's Stack at
    it) and the replica from start_replica() to exit. Without it, a context that does nothing."""

    def __init__(self, args):
        self.enabled = args.replica
        self.name = args.name
        self.port = args.pg_port or free_port()
        self.replica_port = args.replica_port
        self.primary: ScratchCluster | None = None
        self.replica: ScratchCluster | None = None
        self._previous_sigterm = None

    def __enter__(self) -> "ReplicaClusters":
        if not self.enabled:
            return self
        if find_bin() is None:
            raise SystemExit("--replica needs PostgreSQL's server binaries (initdb, pg_ctl, pg_basebackup; PG_BIN)")
        # SIGTERM ends the bench through the same clean-up as Ctrl-C does.
        self._previous_sigterm = signal.signal(signal.SIGTERM, _exit_on_sigterm)
        self.primary = ScratchCluster(port=self.port, name=f"kringloop-{self.name}")
        try:
            self.primary.create()
        except BaseException:
            self.__exit__()
            raise
        os.environ["LOAD_PG_URL"] = self.primary.admin_url
        print(f"[bench] scratch primary on port {self.port} ({self.primary.root})", flush=True)
        return self

    def start_replica(self) -> ScratchCluster:
        started = time.monotonic()
        self.replica = self.primary.replica(port=self.replica_port or free_port())
        print(
            f"[bench] streaming replica on port {self.replica.port} ({self.replica.root}), "
            f"base backup and start {time.monotonic() - started:.1f} s",
            flush=True,
        )
        return self.replica

    def __exit__(self, *exc) -> None:
        for cluster in (self.replica, self.primary):
            if cluster is not None:
                try:
                    cluster.remove()
                except Exception as error:  # noqa: BLE001 - remove the other one whatever happened
                    print(f"note: could not remove the scratch cluster {cluster.root}: {error}", flush=True)
        self.replica = self.primary = None
        if self._previous_sigterm is not None:
            signal.signal(signal.SIGTERM, self._previous_sigterm)
            self._previous_sigterm = None


def _exit_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


# --- reading the clusters ---------------------------------------------------------------------------
def _query(cluster: ScratchCluster, sql: str, params=(), database: str = "postgres") -> tuple:
    url = f"{cluster.admin_url.rsplit('/', 1)[0]}/{database}"
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        return conn.execute(sql, params).fetchone()


def rows_read(cluster: ScratchCluster, database: str) -> int:
    """Rows of the product's tables the cluster's queries have read in `database` so far (its own
    statistics: rows of sequential scans and index fetches; the catalogs every new connection reads,
    and the replica's lag check, which reads no table, count nothing)."""
    sql = "SELECT COALESCE(SUM(COALESCE(seq_tup_read, 0) + COALESCE(idx_tup_fetch, 0)), 0) FROM pg_stat_user_tables"
    (total,) = _query(cluster, sql, database=database)
    return int(total)


def wait_replayed(primary: ScratchCluster, replica: ScratchCluster, timeout: float = 120) -> float:
    """Wait (bounded) until the replica has replayed what the primary has written now; seconds waited."""
    started = time.monotonic()
    (target,) = _query(primary, "SELECT pg_current_wal_lsn()::text")
    deadline = started + timeout
    while time.monotonic() < deadline:
        (done,) = _query(replica, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
        if done:
            break
        time.sleep(0.1)
    return time.monotonic() - started


class LagSampler(threading.Thread):
    """Samples the primary's view of the replica's replay lag until stopped (a context manager)."""

    def __init__(self, primary: ScratchCluster):
        super().__init__(daemon=True)
        self.primary = primary
        self.lags_ms: list[float] = []
        self.lag_bytes: list[int] = []
        self.missing = 0
        self._halt = threading.Event()

    def run(self):
        with psycopg.connect(self.primary.admin_url, autocommit=True, connect_timeout=5) as conn:
            while not self._halt.wait(LAG_SAMPLE_S):
                row = conn.execute(
                    "SELECT COALESCE(EXTRACT(EPOCH FROM replay_lag) * 1000, 0)::float8,"
                    " pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint FROM pg_stat_replication"
                ).fetchone()
                if row is None or row[1] is None:  # the replica is not connected
                    self.missing += 1
                    continue
                self.lags_ms.append(row[0])
                self.lag_bytes.append(row[1])

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self._halt.set()
        self.join(30)


# --- the web -------------------------------------------------------------------------------------------
def get(port: int, path: str, session: str = "") -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", path, headers={"Cookie": f"sessionid={session}"} if session else {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def dashboard_ms(port: int, session: str) -> float:
    started = time.perf_counter()
    status, _body = get(port, DASHBOARD, session)
    if status != 200:
        raise RuntimeError(f"{DASHBOARD} answered {status}")
    return (time.perf_counter() - started) * 1000


def median_dashboard_ms(port: int, session: str, runs: int = 5) -> float:
    dashboard_ms(port, session)  # warm the caches
    return round(statistics.median(dashboard_ms(port, session) for _ in range(runs)), 1)


class Reader(threading.Thread):
    """Loads the dashboard again and again (READER_PAUSE_S apart) until stopped (a context manager)."""

    def __init__(self, port: int, session: str):
        super().__init__(daemon=True)
        self.port, self.session = port, session
        self.latencies: list[float] = []
        self.failures = 0
        self._halt = threading.Event()

    def run(self):
        while not self._halt.is_set():
            try:
                self.latencies.append(dashboard_ms(self.port, self.session))
            except (OSError, http.client.HTTPException, RuntimeError):
                self.failures += 1
            self._halt.wait(READER_PAUSE_S)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self._halt.set()
        self.join(150)

    def figures(self, prefix: str) -> dict:
        return {
            f"{prefix}_reader_dashboards": len(self.latencies),
            f"{prefix}_reader_dashboard_ms": round(statistics.median(self.latencies), 1) if self.latencies else None,
            f"{prefix}_reader_failures": self.failures,
        }


def wait_usable(port: int, timeout: float = 30) -> dict:
    """/healthz's `replica` section once it says the replica is used (bounded; each web process checks
    for itself every REPLICA_CHECK_S seconds, so it asks a few times): what it said last."""
    deadline = time.monotonic() + timeout
    usable_in_a_row = 0
    while True:
        _status, body = get(port, "/healthz")
        health = json.loads(body).get("replica") or {}
        usable_in_a_row = usable_in_a_row + 1 if health.get("usable") else 0
        if usable_in_a_row >= 4 or time.monotonic() > deadline:
            return health
        time.sleep(0.5)


def restart_web(stack, **env: str) -> None:
    stack.kill("web", signal.SIGTERM)  # its database connections close, and their statistics are kept
    stack.env.update(env)
    stack.start_web()


def _progress(started: float, done: str) -> None:
    print(f"[bench] replica phase: {done} ({time.monotonic() - started:.0f} s)", flush=True)


# --- the phase -------------------------------------------------------------------------------------------
def run(*, clusters: ReplicaClusters, stack, submit, session: str, port: int, seconds: float) -> dict:
    """The replica phase, with the stack's web and worker running on the scratch primary; returns figures."""
    from django.utils import timezone

    from scoring.rollup import refresh_rollup

    database = urlsplit(stack.database_url).path.lstrip("/")
    started = time.monotonic()
    replica = clusters.start_replica()
    figures = {"replica_basebackup_s": round(time.monotonic() - started, 1)}
    primary = clusters.primary

    def settled():  # the answers so far processed and in the rollups, and the replica has all of it
        submit.settle(timezone.now())
        refresh_rollup()
        wait_replayed(primary, replica)

    # The dashboards read from the primary: the web as started, without DATABASE_REPLICA_URL.
    settled()
    read_before = rows_read(replica, database)
    figures["replica_primary_dashboard_ms"] = median_dashboard_ms(port, session)
    with Reader(port, session) as reader:
        figures.update(submit.run(seconds=seconds, suffix="_primary_reads"))
    figures.update(reader.figures("primary_reads"))
    _progress(started, "submit rounds with the dashboards on the primary")

    # The same on the replica: the web started again, told of the replica.
    replica_url = f"postgres://postgres@127.0.0.1:{replica.port}/{database}"
    restart_web(stack, DATABASE_REPLICA_URL=replica_url)
    settled()
    figures["replica_health"] = wait_usable(port)
    read_before_dashboards = rows_read(replica, database)
    figures["replica_rows_read_before_dashboards"] = read_before_dashboards - read_before
    figures["replica_dashboard_ms"] = median_dashboard_ms(port, session)
    figures["replica_dashboard_ratio"] = round(
        figures["replica_dashboard_ms"] / figures["replica_primary_dashboard_ms"], 2
    )
    # A backend reports its statistics when idle, at most once a second and within ~10 s: wait (bounded).
    deadline = time.monotonic() + 15
    while (read := rows_read(replica, database)) == read_before_dashboards and time.monotonic() < deadline:
        time.sleep(0.5)
    figures["replica_dashboard_rows_read"] = read - read_before_dashboards
    _progress(started, "dashboards on the replica")
    (figures["replica_web_connections"],) = _query(
        replica,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'",
        [database],
    )
    with LagSampler(primary) as lag, Reader(port, session) as reader:
        figures.update(submit.run(seconds=seconds, suffix="_replica_reads"))
    figures.update(reader.figures("replica_reads"))
    _progress(started, "submit rounds with the dashboards on the replica")
    figures["replica_lag_p95_ms"] = p(lag.lags_ms, 95) if len(lag.lags_ms) >= 2 else None
    figures["replica_lag_max_ms"] = round(max(lag.lags_ms), 1) if lag.lags_ms else None
    figures["replica_lag_max_bytes"] = max(lag.lag_bytes) if lag.lag_bytes else None
    figures["replica_lag_samples"] = len(lag.lags_ms)
    figures["replica_lag_unconnected_samples"] = lag.missing
    figures["replica_rows_read_total"] = rows_read(replica, database) - read_before
    return figures
