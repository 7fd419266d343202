"""The ten-million mode of `make bench` (#27): the reads measured at two sizes in one run.

bench.py seeds the first size (1M) and runs its phases; then `run()` here measures the reads at that
size, grows the data to the second size with a second, appending pass of tests/load/seed_bulk.py
(contacts, accounts, invitations, driver answers and follow-ups in the same proportions), counts
the rollups again (a bulk load is like a restore: the worker's full refresh) and measures the same
reads with the same requests. Each dashboard's SQL is also run under EXPLAIN (ANALYZE, BUFFERS) at
both sizes, in this process, into `plans-<size>.txt` beside the logs: a plan whose cost grows with
the data shows there.

`make bench BENCH_ARGS="--responses 10000000"` (make bench-10m) seeds 1M, then grows to 10M; at a
small scale for a try: `--responses 200000 --scale-to 2000000`. The `_10m` figures are taken at
the second size, whatever it is (`scale_to` says which); `seed_10m_s` is per 10M answers.
"""

import json
import re
import time
from pathlib import Path

from tests.load.bench_reads import SEARCH_QUERY, SEARCH_WORD, SUMMARY_QUERY, measure_api_summary, measure_comment_search

FIRST_SIZE = 1_000_000

SEQ_SCAN_ROWS = 100_000  # a sequential scan of a table larger than this is reported from the plans


def add_arguments(parser) -> None:
    parser.add_argument(
        "--scale-to",
        type=int,
        default=0,
        help="after the phases, grow the answers to this many and measure the reads again "
        "(--responses above 1M alone means: seed 1M, then grow to that many)",
    )


def resolve(args) -> None:
    """`--responses 10000000` alone: seed 1M first, then grow to 10M."""
    if not args.scale_to and args.responses > FIRST_SIZE:
        args.responses, args.scale_to = FIRST_SIZE, args.responses
    if args.scale_to and args.scale_to <= args.responses:
        raise SystemExit("--scale-to must be larger than --responses")


class Reads:
    """The reads measured at both sizes: over HTTP against the running server (medians of five, after
    one warm-up), and in this process under EXPLAIN for the plans."""

    def __init__(self, *, port: int, viewer_session: str, agent_session: str, api_token: str, touchpoint: int):
        self.port = port
        self.viewer_session, self.agent_session, self.api_token = viewer_session, agent_session, api_token
        self.dashboard = "/dashboard/?period=365d&kind=all"
        self.filtered = f"/dashboard/?period=365d&kind=all&segment=plan=pro&touchpoint={touchpoint}"
        self.api_summary = f"/api/nps/summary/?{SUMMARY_QUERY}"  # as bench_reads measures them
        self.search = f"/dashboard/comments/?{SEARCH_QUERY}&q={SEARCH_WORD}"

    def measure(self, suffix: str) -> dict:
        from scoring.rollup import refresh_rollup
        from tests.load.measure import get_page, median_ms

        def timed(path, **auth):
            get_page(self.port, path, **auth)  # warm caches
            return median_ms(lambda: get_page(self.port, path, **auth))

        # Each read just after a refresh, as beat runs one every 30 s (there is no beat in the bench).
        viewer = {"session": self.viewer_session}
        figures = {}
        refresh_rollup()
        figures[f"dashboard{suffix}_ms"] = timed(self.dashboard, **viewer)
        refresh_rollup()
        figures[f"filtered_dashboard{suffix}_ms"] = timed(self.filtered, **viewer)
        refresh_rollup()
        figures[f"api_summary{suffix}_ms"] = measure_api_summary(self.port, self.api_token)
        refresh_rollup()
        figures[f"comments_search{suffix}_ms"] = measure_comment_search(self.port, self.agent_session)
        return figures


def table_mb() -> dict:
    """Table + index size (MB) of every table of the schema, largest first."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            """SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema()
               ORDER BY 2 DESC"""
        )
        return {name: round(size / 2**20, 1) for name, size in cur.fetchall()}


def explain_page(client, path: str, out: Path, title: str) -> dict:
    """Run the page in this process, then EXPLAIN (ANALYZE, BUFFERS) each of its SQL statements;
    append the plans to `out`. Returns the statement count, their summed execution time and the
    sequential scans of large tables."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from scoring.rollup import refresh_rollup

    refresh_rollup()  # as beat does every 30 s
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    statements = [q["sql"] for q in captured.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    total_ms, seq_scans, plans = 0.0, [], []
    with connection.cursor() as cur:
        cur.execute("SELECT relname FROM pg_class WHERE relkind = 'r' AND reltuples > %s", [SEQ_SCAN_ROWS])
        large = {row[0] for row in cur.fetchall()}
        for sql in statements:
            cur.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")
            plan = cur.fetchone()[0]
            plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
            ms = plan["Planning Time"] + plan["Execution Time"]
            total_ms += ms
            scans = sorted(set(_seq_scans(plan["Plan"])) & large)
            seq_scans += scans
            cur.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            text = "\n".join(row[0] for row in cur.fetchall())
            plans.append((ms, sql, text))
    with out.open("a") as f:
        f.write(f"===== {title}: {path} — {len(statements)} statements, {total_ms:.1f} ms in PostgreSQL\n\n")
        for ms, sql, text in sorted(plans, key=lambda item: -item[0]):
            f.write(f"--- {ms:.1f} ms\n{_short(sql)}\n{text}\n\n")
    return {"statements": len(statements), "sql_ms": round(total_ms, 1), "seq_scans": seq_scans}


def _seq_scans(node: dict):
    if node.get("Node Type") == "Seq Scan":
        yield node["Relation Name"]
    for child in node.get("Plans", ()):
        yield from _seq_scans(child)


def _short(sql: str, limit: int = 1500) -> str:
    sql = re.sub(r"\s+", " ", sql)
    return sql if len(sql) <= limit else sql[:limit] + " …"


def explain_reads(reads: Reads, clients: dict, logs: Path, size: int) -> dict:
    """The plans of the measured pages at this size (plans-<size>.txt); figures per page."""
    out = logs / f"plans-{size}.txt"
    out.write_text(f"EXPLAIN (ANALYZE, BUFFERS) of every SELECT the pages run, at {size:,} answers\n\n")
    return {
        "dashboard": explain_page(clients["viewer"], reads.dashboard, out, "dashboard"),
        "filtered_dashboard": explain_page(clients["viewer"], reads.filtered, out, "filtered dashboard"),
        "comments_search": explain_page(clients["agent"], reads.search, out, "comments search"),
    }


def _vacuum() -> None:
    """What autovacuum does some time after a load (visibility map, statistics), before either size
    is measured, so both are measured alike."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("VACUUM (ANALYZE)")


def run(*, args, reads: Reads, clients: dict, seed_seconds: float, drain, logs: Path) -> dict:
    """Measure the reads at the first size, grow to args.scale_to, measure them again."""
    from django.utils import timezone

    from scoring.rollup import refresh_rollup
    from surveys.models import Response
    from tests.load.seed_bulk import seed_bulk

    figures = {"scale_from": args.responses, "scale_to": args.scale_to}
    drain(timezone.now())
    refresh_rollup()  # the phases' answers, as beat would within 30 s
    _vacuum()
    before = reads.measure("_1m")
    plans_before = explain_reads(reads, clients, logs, args.responses)

    # --- Grow: one more pass of the seeding, in the same proportions -------------------------------
    have = Response.objects.count()
    grow = args.scale_to - have
    accounts = args.accounts if args.accounts is not None else max(args.responses // 10, 100)
    t0 = time.perf_counter()
    timings = seed_bulk(
        responses=grow, contacts=max(grow // 10, 1000), accounts=round(accounts * grow / args.responses)
    )
    grow_s = time.perf_counter() - t0
    print(f"[bench] grew by {grow:,} responses to {have + grow:,} in {grow_s:.1f} s {timings}", flush=True)
    figures["seed_10m_s"] = round((seed_seconds + grow_s) * 10_000_000 / args.scale_to, 1)
    t0 = time.perf_counter()
    refresh_rollup(full=True)  # seeded answers lie before the watermark: a full count, as after a restore
    figures["rollup_full_10m_s"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    _vacuum()
    figures["vacuum_10m_s"] = round(time.perf_counter() - t0, 1)

    after = reads.measure("_10m")
    plans_after = explain_reads(reads, clients, logs, args.scale_to)
    figures.update(after)
    for name in ("dashboard", "filtered_dashboard", "api_summary", "comments_search"):
        figures[f"{name}_1m_ms"] = before[f"{name}_1m_ms"]
        figures[f"{name}_growth"] = round(after[f"{name}_10m_ms"] / max(before[f"{name}_1m_ms"], 0.1), 2)
    for name, plan in plans_after.items():
        figures[f"{name}_statements"] = [plans_before[name]["statements"], plan["statements"]]
        figures[f"{name}_sql_ms"] = [plans_before[name]["sql_ms"], plan["sql_ms"]]
        figures[f"{name}_seq_scans_10m"] = sorted(set(plan["seq_scans"]))
    sizes = table_mb()
    answers = Response.objects.count()
    figures["db_mb_per_1m"] = round(sum(sizes.values()) * 1_000_000 / answers, 1)
    figures["db_mb_10m"] = round(sum(sizes.values()))
    figures["largest_tables_mb"] = dict(list(sizes.items())[:6])
    return figures
