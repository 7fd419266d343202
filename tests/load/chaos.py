"""`make chaos`: every pipeline at once under load, while processes, Redis and PostgreSQL fail.

On localhost only, bounded in time: a PostgreSQL cluster of its own in a scratch folder (so it can
be restarted; tests/load/pgcluster.py), a private Redis, gunicorn, a Celery worker and beat. While
CLIENTS respondents send ANSWERS answers (a third detractors or passives, half with a "why"), an admin
sends a campaign of INVITATIONS invitations, an improvement linked to NOTICES customers ships, every
event goes to a webhook receiver that fails or times out for a fifth of the calls, and beat refreshes
the rollups. At planned points of the load: the worker is SIGKILLed twice, beat once, Redis restarts
empty, every application connection to PostgreSQL is terminated twice, and PostgreSQL restarts once.
Then it waits (bounded) for the sweeps, runs the product's consistency check (check_data, which
compares every dashboard figure with the raw tables) and prints one JSON object as its last line;
it exits non-zero unless nothing was lost, doubled or missing.
"""

import argparse
import json
import os
import random
import socket
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from tests.load.client import Result, run_load
from tests.load.pgcluster import ScratchCluster, find_bin
from tests.load.receiver import FlakyReceiver
from tests.load.stack import Stack, running

# (share of the answers in, event): the planned moments. The faults; "send" and "ship" are work.
PLAN = (
    (0.05, "send"),
    (0.10, "pg_terminate"),
    (0.20, "worker_kill"),
    (0.30, "beat_kill"),
    (0.35, "ship"),
    (0.45, "redis_restart"),
    (0.55, "pg_terminate"),
    (0.65, "pg_restart"),
    (0.75, "worker_kill"),
)
FAULTS = ("pg_terminate", "worker_kill", "beat_kill", "redis_restart", "pg_restart")
ZERO = (
    "lost",
    "duplicate_followups",
    "duplicate_owner_emails",
    "duplicate_invitation_emails",
    "missing_invitation_emails",
    "duplicate_notice_emails",
    "webhooks_lost",
    "duplicate_webhook_events",
    "rollup_mismatches",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Conductor:
    """Fires the planned events as the answers come in, from a thread of its own (never a client's)."""

    def __init__(self, plan, *, stack: Stack, cluster, world, result: Result, total: int, notices: int):
        self.plan = list(plan)
        self.stack, self.cluster, self.world, self.result = stack, cluster, world, result
        self.total, self.notices = total, notices
        self.faults: list[dict] = []
        self.started = time.monotonic()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while self.plan and not self.stop.wait(0.2):
            share, event = self.plan[0]
            done = len(self.result.accepted)
            if done < share * self.total:
                continue
            self.plan.pop(0)
            try:
                detail = self.fire(event)
            except Exception as exc:  # reported, and the run goes on
                detail = f"failed: {type(exc).__name__}: {exc}"
            record = {"at_answers": done, "t_s": round(time.monotonic() - self.started, 1), "event": event}
            if detail:
                record["detail"] = detail
            print(f"[chaos] {done} answers in: {event} {detail or ''}", flush=True)
            if event in FAULTS:
                self.faults.append(record)

    def fire(self, event: str) -> str:
        from tests.load import chaos_world

        stack = self.stack
        if event == "send":
            return chaos_world.retrying(chaos_world.start_sending, self.world)
        if event == "ship":
            accepted = set(self.result.accepted)
            return chaos_world.retrying(chaos_world.ship_improvement, self.world, accepted, self.notices)
        if event == "worker_kill":
            stack.kill("worker")  # SIGKILL: its reserved and running tasks are gone with it
            time.sleep(1)
            stack.start_worker()
            return "SIGKILL; a new worker started"
        if event == "beat_kill":
            stack.kill("beat")
            time.sleep(3)
            stack.start_beat()
            return "SIGKILL; beat started again"
        if event == "redis_restart":
            stack.restart_redis()
            return "restarted empty: every queued task and handed-off answer is gone"
        if event == "pg_terminate":
            n = self.cluster.terminate_connections(f"kringloop_{stack.name}")
            return f"pg_terminate_backend of {n} connections"
        if event == "pg_restart":
            down = self.cluster.restart()
            return f"PostgreSQL stopped (immediate) and started again: {down:.1f} s down"
        raise ValueError(event)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--answers", type=int, default=2100)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--invitations", type=int, default=20_000, help="the campaign sent during the load")
    parser.add_argument("--notices", type=int, default=600, help="customers told about the shipped improvement")
    parser.add_argument(
        "--faults",
        default=",".join(FAULTS),
        help=f"which planned faults to inject (comma-separated, of {', '.join(FAULTS)}; 'none' for none)",
    )
    parser.add_argument("--port", type=int, default=8311)
    parser.add_argument("--redis-port", type=int, default=6391)
    parser.add_argument("--pg-port", type=int, default=0, help="port of the scratch PostgreSQL cluster (0: a free one)")
    parser.add_argument("--time-limit", type=float, default=600, help="seconds the load may take at most")
    parser.add_argument(
        "--settle", type=float, default=600, help="seconds to wait for everything to go through at most (goal: 180)"
    )
    parser.add_argument("--name", default="chaos", help="scratch database kringloop_NAME and logs in artifacts/NAME")
    parser.add_argument("--logs", type=Path, default=None, help="folder for the logs (default: artifacts/NAME)")
    args = parser.parse_args()
    chosen = set() if args.faults == "none" else set(args.faults.split(","))
    if chosen - set(FAULTS):
        parser.error(f"unknown fault(s): {', '.join(sorted(chosen - set(FAULTS)))}")

    cluster = None
    if find_bin():  # PostgreSQL faults need a server of our own: never the machine's shared one
        cluster = ScratchCluster(port=args.pg_port or free_port(), name=f"kringloop-{args.name}").create()
        os.environ["LOAD_PG_URL"] = cluster.admin_url
    elif chosen & {"pg_terminate", "pg_restart"}:
        print("[chaos] no PostgreSQL server binaries (PG_BIN): the PostgreSQL faults are left out", flush=True)
        chosen -= {"pg_terminate", "pg_restart"}
    try:
        return run(args, chosen, cluster)
    finally:
        if cluster is not None:
            cluster.remove()


def run(args, chosen: set, cluster) -> int:
    receiver = FlakyReceiver(fail_share=0.2, slow_seconds=2.5).start()
    os.environ.update(
        {
            # Short webhook retries and time limit, so a fifth of failed calls settle within minutes
            # (production: 2, 4, 8 … minutes and 10 s; README, Webhooks).
            "WEBHOOK_RETRY_DELAYS": "5,10,20,30,45",
            "WEBHOOK_TIMEOUT": "1",
            "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "1",
        }
    )
    stack = Stack(
        name=args.name,
        web_port=args.port,
        redis_port=args.redis_port,
        web_workers=2,
        web_threads=16,
        worker_concurrency=6,  # a tenth of the webhook calls wait a second for their time limit
        # Not niced, unlike make bench: the worker's work is what this run waits for, and on a shared
        # machine a niced worker gets almost nothing.
        worker_nice=0,
        logs=args.logs,
    )
    env = stack.prepare()
    os.environ.update(env)
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.db import connections
    from django.utils import timezone

    from tests.load import chaos_world

    plan = [(share, event) for share, event in PLAN if event not in FAULTS or event in chosen]
    rng = random.Random(7)
    with running(stack):
        world = chaos_world.seed(answers=args.answers, invitations=args.invitations, receiver_url=receiver.url, rng=rng)
        print(
            f"[chaos] seeded {args.answers} answer invitations, {args.invitations} contacts to send to; "
            f"PostgreSQL {'of its own' if cluster else 'shared'}; faults: {', '.join(sorted(chosen)) or 'none'}",
            flush=True,
        )
        stack.start_web()
        stack.start_worker()
        stack.start_beat()
        # A process that dies on its own is started again, as a supervisor would (README: Deploying).
        stack.supervise({"worker": stack.start_worker, "beat": stack.start_beat, "web": stack.start_web})
        result = Result()
        conductor = Conductor(
            plan, stack=stack, cluster=cluster, world=world, result=result, total=len(world.work), notices=args.notices
        )
        conductor.thread.start()
        started = time.monotonic()
        run_load(port=args.port, work=world.work, clients=args.clients, time_limit=args.time_limit, result=result)
        load_s = round(time.monotonic() - started, 1)
        conductor.thread.join(30)  # the last events (if the answers ran out before their share)
        conductor.stop.set()
        print(
            f"[chaos] load done in {load_s} s: {len(result.accepted)} accepted, {len(result.commented)} with a why, "
            f"5xx {result.http_5xx}, errors {result.errors}",
            flush=True,
        )
        load_done, load_done_at = time.monotonic(), timezone.now()
        deadline = load_done + args.settle
        # Every answer is stored by now (the form answers only after the commit): which need a case is known.
        wanted = chaos_world.retrying(chaos_world.wanted_followups)
        settled_at = None
        while time.monotonic() < deadline:
            polled = chaos_world.retrying(chaos_world.progress, world, wanted, receiver)
            seen = time.monotonic()
            print(
                f"[chaos] {seen - load_done:.0f} s after the load, waiting for the sweeps: "
                f"cases {polled['followups']}/{polled['followups_expected']}, "
                f"owner e-mails {polled['owner_emails']}, "
                f"invitations {polled['invitation_emails']}/{polled['invitations_expected']}, "
                f"notices {polled['notice_emails']}/{polled['notices_expected']}, "
                f"webhooks {polled['webhooks_delivered']}/{polled['webhooks_expected']}",
                flush=True,
            )
            # Settled when the cheap poll says so and the full count confirms it.
            if chaos_world.settled(polled) and chaos_world.settled(
                chaos_world.retrying(chaos_world.figures, world, result.accepted, receiver)
            ):
                settled_at = seen
                break
            time.sleep(3)
        settled_s = round((settled_at or time.monotonic()) - load_done, 1)
        # The rollups: one refresh that began after the load, then every dashboard figure against the raw tables.
        refreshed = False
        while time.monotonic() < deadline + 120 and not (
            refreshed := chaos_world.retrying(chaos_world.rollups_refreshed_since, load_done_at)
        ):
            time.sleep(3)
        time.sleep(3)  # let in-flight e-mails land before the final count
        figures = chaos_world.retrying(chaos_world.figures, world, result.accepted, receiver)
        figures.update(chaos_world.retrying(chaos_world.timeline, world, load_done_at))
        from core import consistency

        report = chaos_world.retrying(consistency.run, grace=timedelta(0))
        figures["rollup_mismatches"] = sum(f.count for f in report.pop("rollups", []))
        figures["check_data"] = {
            name: [f"{f.count} {f.problem}" for f in found] for name, found in report.items() if found
        }
        figures.update(
            {
                "answers_with_why": len(result.commented),
                "http_5xx": result.http_5xx,
                "http_5xx_without_retry_after": result.http_5xx_without_retry_after,
                "rollups_refreshed_after_load": refreshed,
                "load_s": load_s,
                "settled_s": settled_s,  # from the end of the load to everything through
                "faults": conductor.faults,
                "unplanned_restarts": dict(stack.restarts),  # processes that died on their own
            }
        )
        connections.close_all()
    receiver.stop()

    expected_faults = sum(1 for _share, event in plan if event in FAULTS)
    ok = (
        all(figures[key] == 0 for key in ZERO)
        and figures["followups"] == figures["followups_expected"]
        and figures["accepted"] >= args.answers * 0.9
        and len(conductor.faults) == expected_faults
        and not any("failed" in f.get("detail", "") for f in conductor.faults)
        and not figures["check_data"]
        and figures["rollups_refreshed_after_load"]
    )
    print(json.dumps(figures))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
