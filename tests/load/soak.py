"""`make soak`: steady mixed traffic for a long time, watching every process for leaks.

Starts the product as in production on localhost (gunicorn, a Celery worker and beat, a private
Redis; PostgreSQL in a cluster of its own when the server binaries are there, else a scratch
database on LOAD_PG_URL) and for MINUTES minutes (SOAK_MINUTES, default 30) keeps up: respondents
answering (RATE a second, a third unhappy, half with a "why"), a viewer reading the dashboard and an
API client reading responses and the NPS summary every few seconds, a campaign send every 5 minutes,
and cases going overdue so the beat escalates them. Every minute it samples each process's resident
memory and its open connections to PostgreSQL and Redis. Then it waits (bounded) for the worker to
finish and prints one JSON object as its last line: per process, memory growth per hour after the
warm-up and the connections, plus lost answers and duplicates.
"""

import argparse
import http.client
import json
import os
import random
import socket
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from tests.load.client import Respondent, Result
from tests.load.pgcluster import ScratchCluster, find_bin
from tests.load.sampling import growth_per_hour, sample
from tests.load.stack import Stack, running

SEND_EVERY = 300  # seconds between campaign sends
SEND_SIZE = 300  # invitations per send


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- Traffic ---------------------------------------------------------------------------------------
class Traffic:
    def __init__(self, *, port: int, work: list, rate: float, session: str, api_token: str, stop: threading.Event):
        self.port, self.work, self.rate, self.stop = port, work, rate, stop
        self.session, self.api_token = session, api_token
        self.result = Result()
        self.reads = {"dashboard": 0, "api": 0}
        self.read_errors: dict[str, int] = {}
        self.lock = threading.Lock()
        self.next = 0

    def _take(self):
        with self.lock:
            if self.next >= len(self.work):
                return None
            item = self.work[self.next]
            self.next += 1
            return item

    def answers(self, threads: int = 4):
        def loop():
            respondent = Respondent(self.port, self.result)
            interval = threads / self.rate
            while not self.stop.is_set():
                started = time.monotonic()
                item = self._take()
                if item is None:
                    return
                try:
                    respondent.answer(*item)
                except Exception as exc:
                    self.result.error(type(exc).__name__)
                self.stop.wait(max(0.0, interval - (time.monotonic() - started)))

        return [threading.Thread(target=loop, daemon=True) for _ in range(threads)]

    def _get(self, path: str, headers: dict, kind: str):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request("GET", path, headers={"Host": f"127.0.0.1:{self.port}", **headers})
            response = conn.getresponse()
            response.read()
            status = response.status
        except (http.client.HTTPException, OSError) as exc:
            status = type(exc).__name__
        finally:
            conn.close()
        with self.lock:
            if status == 200:
                self.reads[kind] += 1
            else:
                key = f"{kind} {status}"
                self.read_errors[key] = self.read_errors.get(key, 0) + 1

    def readers(self, every: float = 5.0):
        def dashboard():
            while not self.stop.wait(every):
                self._get("/dashboard/?period=30d&kind=all", {"Cookie": f"sessionid={self.session}"}, "dashboard")

        def api():
            while not self.stop.wait(every):
                auth = {"Authorization": f"Bearer {self.api_token}"}
                self._get("/api/responses/?page_size=50", auth, "api")
                self._get("/api/nps/summary/?period=30d", auth, "api")

        return [threading.Thread(target=dashboard, daemon=True), threading.Thread(target=api, daemon=True)]


def _viewer_session_and_token(world) -> tuple[str, str]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from api.scopes import NPS_READ, RESPONSES_READ
    from api.services import token_create
    from core.roles import assign_role

    User = get_user_model()
    viewer = User.objects.create_user("soak-viewer", "viewer@example.com", "not-used")
    assign_role(viewer, "admin")  # sees every panel, as the heaviest dashboard reader
    client = Client()
    client.force_login(viewer)
    _token, raw = token_create(
        name="soak", scopes=[RESPONSES_READ, NPS_READ], actor=User.objects.get(pk=world.admin_id)
    )
    return client.cookies["sessionid"].value, raw


def _send(world, number: int) -> str:
    from django.contrib.auth import get_user_model

    from surveys.models import Campaign
    from surveys.sending import campaign_send
    from tests.load.chaos_world import SEND_GROUP

    base = Campaign.objects.get(pk=world.send_campaign_id)
    campaign = Campaign.objects.create(
        name=f"Soak sending {number}",
        status=Campaign.Status.DRAFT,
        kind=base.kind,
        touchpoint=base.touchpoint,
        team=base.team,
        reminder_after_days=None,
        quiet_period_days=0,
        audience_filter={"group": SEND_GROUP, "batch": number},
    )
    campaign_send(campaign=campaign, actor=get_user_model().objects.get(pk=world.admin_id))
    return f"send {number}: campaign {campaign.pk}"


def _make_overdue(count: int = 20) -> int:
    """Time passes for some open cases: their deadline moves into the past, so the beat escalates them."""
    from django.utils import timezone

    from followups.models import FollowUp

    ids = list(
        FollowUp.objects.filter(status__in=FollowUp.OPEN_STATUSES, escalation_level=0, due_at__gt=timezone.now())
        .order_by("pk")
        .values_list("pk", flat=True)[:count]
    )
    return FollowUp.objects.filter(pk__in=ids).update(due_at=timezone.now() - timezone.timedelta(hours=1))


def _final(world, result: Result, sends: int) -> dict:
    from django.db.models import Count
    from django.db.models.fields.json import KeyTextTransform

    from core.models import OutboxMessage
    from followups.models import EscalationNotice, FollowUp
    from followups.routing import wants_followup
    from surveys.models import Invitation, Response

    accepted = result.accepted
    stored = set(
        Response.objects.filter(invitation__token__in=list(accepted)).values_list("invitation__token", flat=True)
    )
    responses = Response.objects.select_related("campaign").only("pk", "category", "campaign__followup_promoters")
    wanted = {r.pk for r in responses.iterator(chunk_size=5000) if wants_followup(r)}
    cases = set(FollowUp.objects.values_list("response_id", flat=True))
    keys = list(
        OutboxMessage.objects.annotate(key=KeyTextTransform("X-Kringloop-Key", "headers"))
        .filter(key__startswith="followup-owner:")
        .values_list("key", flat=True)
    )
    invited = Invitation.objects.filter(campaign__name__startswith="Soak sending")
    mids = list(invited.exclude(provider_message_id="").values_list("provider_message_id", flat=True))
    stored_mails = OutboxMessage.objects.filter(message_id__in=mids).values("message_id").annotate(n=Count("id"))
    return {
        "accepted": len(accepted),
        "stored": len(stored),
        "lost": len(accepted - stored),
        "followups_expected": len(wanted),
        "followups": len(wanted & cases),
        "duplicate_followups": 0,  # one-to-one in the schema
        "owner_emails": len(keys),
        "duplicate_owner_emails": len(keys) - len(set(keys)),
        "sends": sends,
        "invitations_expected": sends * SEND_SIZE,
        "invitations_sent": invited.filter(sent_at__isnull=False).count(),
        "duplicate_invitation_emails": sum(row["n"] - 1 for row in stored_mails if row["n"] > 1),
        "escalation_notices": EscalationNotice.objects.count(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=float(os.environ.get("SOAK_MINUTES") or 30))
    parser.add_argument("--rate", type=float, default=2.0, help="answers a second")
    parser.add_argument(
        "--warmup",
        type=float,
        default=float(os.environ.get("SOAK_WARMUP") or 5),
        help="minutes left out of the growth figures (SOAK_WARMUP, default 5): imports, caches and pools filling",
    )
    parser.add_argument(
        "--tracemalloc",
        type=float,
        default=0,
        help="every this many minutes each process writes a tracemalloc snapshot to LOGS/memprobe "
        "(tests/load/memprobe; read them with python -m tests.load.memprobe_report); 0: off",
    )
    parser.add_argument("--port", type=int, default=8321)
    parser.add_argument("--redis-port", type=int, default=6393)
    parser.add_argument("--pg-port", type=int, default=0, help="port of the scratch PostgreSQL cluster (0: a free one)")
    parser.add_argument("--settle", type=float, default=300)
    parser.add_argument("--name", default="soak")
    parser.add_argument("--logs", type=Path, default=None)
    args = parser.parse_args()
    cluster = (
        ScratchCluster(port=args.pg_port or free_port(), name=f"kringloop-{args.name}").create() if find_bin() else None
    )
    if cluster:
        os.environ["LOAD_PG_URL"] = cluster.admin_url
    try:
        return run(args, cluster)
    finally:
        if cluster is not None:
            cluster.remove()


def run(args, cluster) -> int:
    if args.tracemalloc:  # every process of the stack loads tests/load/memprobe/sitecustomize.py
        probe = Path(__file__).resolve().parent / "memprobe"
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(probe), os.environ.get("PYTHONPATH")]))
        os.environ["MEMPROBE_DIR"] = str((args.logs or Path("artifacts") / args.name).resolve() / "memprobe")
        os.environ["MEMPROBE_EVERY"] = str(args.tracemalloc * 60)
    sends = max(1, int(args.minutes * 60 // SEND_EVERY) + 1)
    answers = int(args.rate * args.minutes * 60 * 1.2) + 100
    stack = Stack(
        name=args.name,
        web_port=args.port,
        redis_port=args.redis_port,
        worker_concurrency=2,
        worker_nice=0,
        logs=args.logs,
    )
    if args.tracemalloc:
        stack.start_timeout = 300.0  # every import traced: the web starts several times slower
    env = stack.prepare()
    os.environ.update(env)
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.db import connections

    from tests.load import chaos_world

    with running(stack):
        world = chaos_world.seed(
            answers=answers,
            invitations=sends * SEND_SIZE,
            receiver_url="http://127.0.0.1:9/unused",
            rng=random.Random(5),
            send_batches=sends,
        )
        from webhooks.models import Endpoint

        Endpoint.objects.all().update(active=False)  # no receiver in this run
        session, api_token = _viewer_session_and_token(world)
        stack.start_web()
        stack.start_worker()
        stack.start_beat()
        stack.supervise({"worker": stack.start_worker, "beat": stack.start_beat, "web": stack.start_web})
        ports = {"postgresql": urlsplit(os.environ["LOAD_PG_URL"]).port or 5432, "redis": args.redis_port}
        stop = threading.Event()
        traffic = Traffic(
            port=args.port, work=world.work, rate=args.rate, session=session, api_token=api_token, stop=stop
        )
        threads = traffic.answers() + traffic.readers()
        for t in threads:
            t.start()
        started = time.monotonic()
        samples, done_sends, escalated = [], 0, 0
        print(f"[soak] {args.minutes:g} minutes of traffic; a sample every minute", flush=True)
        while True:
            minute = (time.monotonic() - started) / 60
            if done_sends < sends and minute * 60 >= done_sends * SEND_EVERY + 30:
                print(f"[soak] {chaos_world.retrying(_send, world, done_sends)}", flush=True)
                done_sends += 1
            if minute >= len(samples):
                escalated += chaos_world.retrying(_make_overdue)
                samples.append({"minute": round(minute, 2), **sample(stack, ports)})
                line = ", ".join(
                    f"{role} {s['rss_mb']} MB/{s['connections']['postgresql']}+{s['connections']['redis']} conn"
                    for role, s in samples[-1].items()
                    if role != "minute"
                )
                print(f"[soak] minute {minute:.0f}: {len(traffic.result.accepted)} answers; {line}", flush=True)
            if minute >= args.minutes:
                break
            time.sleep(1)
        stop.set()
        for t in threads:
            t.join(60)
        load_done = time.monotonic()
        final = chaos_world.retrying(_final, world, traffic.result, done_sends)
        while time.monotonic() - load_done < args.settle and (
            final["followups"] < final["followups_expected"]
            or final["owner_emails"] < final["followups"]
            or final["invitations_sent"] < final["invitations_expected"]
        ):
            time.sleep(10)
            final = chaos_world.retrying(_final, world, traffic.result, done_sends)
        settled_s = round(time.monotonic() - load_done, 1)
        processes = {}
        for role in ("web", "worker", "beat", "redis"):
            series = [(s["minute"], s[role]) for s in samples if role in s]
            if not series:
                continue
            warm = [(m, v) for m, v in series if m >= args.warmup] or series
            connections_pg = [v["connections"]["postgresql"] for _m, v in series]
            connections_redis = [v["connections"]["redis"] for _m, v in series]
            processes[role] = {
                "rss_mb_first": warm[0][1]["rss_mb"],
                "rss_mb_last": warm[-1][1]["rss_mb"],
                "rss_growth_pct_per_hour": growth_per_hour([(m, v["rss_mb"]) for m, v in warm]),
                # The same over the last third only: still growing, or levelling off?
                "rss_growth_pct_per_hour_last_third": growth_per_hour(
                    [(m, v["rss_mb"]) for m, v in series if m >= args.minutes * 2 / 3]
                ),
                "pg_connections_first": connections_pg[0],
                "pg_connections_last": connections_pg[-1],
                "pg_connections_max": max(connections_pg),
                "redis_connections_max": max(connections_redis),
                "processes_last": warm[-1][1]["pids"],
                # Each process of the tree that lived through the whole window (the master, each
                # gunicorn worker, each pool process): which of them grows.
                "rss_by_process": {
                    pid: {
                        "mb_first": warm[0][1]["rss_by_pid"][pid],
                        "mb_last": warm[-1][1]["rss_by_pid"][pid],
                        "growth_pct_per_hour": growth_per_hour([(m, v["rss_by_pid"][pid]) for m, v in warm]),
                    }
                    for pid in warm[0][1]["rss_by_pid"]
                    if all(pid in v["rss_by_pid"] for _m, v in warm)
                },
            }
        connections.close_all()
    figures = {
        "minutes": args.minutes,
        "warmup_minutes": args.warmup,
        **final,
        "dashboard_reads": traffic.reads["dashboard"],
        "api_calls": traffic.reads["api"],
        "read_errors": traffic.read_errors,
        "answer_errors": traffic.result.errors,
        "http_5xx": traffic.result.http_5xx,
        "cases_made_overdue": escalated,
        "settled_s": settled_s,
        "samples": len(samples),
        "unplanned_restarts": dict(stack.restarts),
        "processes": processes,
    }
    ok = figures["lost"] == 0 and figures["duplicate_owner_emails"] == 0 and figures["duplicate_invitation_emails"] == 0
    print(json.dumps(figures))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
