"""`make chaos`: answers under load while the Celery worker is SIGKILLed and Redis restarts.

Starts gunicorn, a Celery worker and beat on a scratch PostgreSQL database and a private Redis,
sends ANSWERS answers (a third of them detractors or passives) from CLIENTS concurrent clients,
kills the worker (SIGKILL) and restarts it a third of the way in, restarts Redis two thirds of the
way in, then waits (bounded) for the sweep to route every unhappy answer. Prints one JSON object as
its last line and exits non-zero unless nothing was lost or doubled.
"""

import argparse
import json
import os
import random
import sys
import threading
import time
from pathlib import Path

from tests.load.client import run_load
from tests.load.stack import Stack, running


def seed(count: int, rng: random.Random) -> list[tuple[str, int]]:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from core.models import Team
    from core.roles import assign_role
    from followups.models import RoutingRule
    from surveys.models import Campaign, Contact, Invitation, Touchpoint

    User = get_user_model()
    team = Team.objects.create(name="Care")
    agents = []
    for i in range(4):
        agent = User.objects.create_user(f"agent{i}", f"agent{i}@example.com", "not-used-" + str(rng.random()))
        assign_role(agent, "agent")
        agents.append(agent)
    team.members.add(*agents)
    team.lead = agents[0]
    team.save()
    RoutingRule.objects.create(
        name="Everyone: round-robin in Care", order=1, target=RoutingRule.Target.ROUND_ROBIN, team=team
    )
    campaign = Campaign.objects.create(
        name="Chaos",
        status=Campaign.Status.ACTIVE,
        kind=Campaign.Kind.TRANSACTIONAL,
        touchpoint=Touchpoint.objects.get(slug="support"),
        team=team,
        reminder_after_days=None,
    )
    contacts = Contact.objects.bulk_create(
        [Contact(email=f"c{i}@chaos.example", name=f"Customer {i}") for i in range(count)], batch_size=2000
    )
    now = timezone.now()
    invitations = Invitation.objects.bulk_create(
        [Invitation(campaign=campaign, contact=c, status=Invitation.Status.SENT, sent_at=now) for c in contacts],
        batch_size=2000,
    )
    # A third unhappy (0–8), the rest promoters.
    return [
        (inv.token, rng.choice(range(9)) if i % 3 == 0 else rng.choice((9, 10))) for i, inv in enumerate(invitations)
    ]


def check(accepted: set[str]) -> dict:
    from django.db.models import Count

    from core.models import OutboxMessage
    from followups.models import FollowUp
    from surveys.models import Response

    stored_tokens = set(
        Response.objects.filter(invitation__token__in=accepted).values_list("invitation__token", flat=True)
    )
    unhappy = Response.objects.filter(category__in=["detractor", "passive"])
    owner_keys = [m.headers.get("X-Kringloop-Key", "") for m in OutboxMessage.objects.only("headers")]
    owner_keys = [k for k in owner_keys if k.startswith("followup-owner:")]
    duplicate_followups = FollowUp.objects.values("response_id").annotate(n=Count("id")).filter(n__gt=1).count()
    return {
        "accepted": len(accepted),
        "stored": len(stored_tokens),
        "lost": len(accepted - stored_tokens),
        "followups_expected": unhappy.count(),
        "followups": FollowUp.objects.filter(response__in=unhappy).count(),
        "duplicate_followups": duplicate_followups,
        "owner_emails": len(owner_keys),
        "duplicate_owner_emails": len(owner_keys) - len(set(owner_keys)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--answers", type=int, default=2100)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--port", type=int, default=8311)
    parser.add_argument("--redis-port", type=int, default=6391)
    parser.add_argument("--time-limit", type=float, default=300, help="seconds the load may take at most")
    parser.add_argument("--settle", type=float, default=240, help="seconds to wait for the sweep at most")
    parser.add_argument("--name", default="chaos", help="scratch database kringloop_NAME and logs in artifacts/NAME")
    parser.add_argument("--logs", type=Path, default=None, help="folder for the logs (default: artifacts/NAME)")
    args = parser.parse_args()

    stack = Stack(
        name=args.name, web_port=args.port, redis_port=args.redis_port, web_workers=2, web_threads=16, logs=args.logs
    )
    env = stack.prepare()
    os.environ.update(env)
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()

    rng = random.Random(7)
    with running(stack):
        work = seed(args.answers, rng)
        stack.start_web()
        stack.start_worker()
        stack.start_beat()
        stack.supervise({"worker": stack.start_worker, "beat": stack.start_beat})
        faults = {"worker_killed": False, "redis_restarted": False}
        fault_lock = threading.Lock()

        def on_progress(result):
            done = len(result.accepted)
            with fault_lock:
                if not faults["worker_killed"] and done >= len(work) // 3:
                    faults["worker_killed"] = True
                    print(f"[chaos] {done} answers in: SIGKILL the Celery worker and start a new one", flush=True)
                    stack.kill("worker")
                    stack.start_worker()
                elif not faults["redis_restarted"] and done >= 2 * len(work) // 3:
                    faults["redis_restarted"] = True
                    print(f"[chaos] {done} answers in: restart Redis (all queued tasks are lost)", flush=True)
                    stack.restart_redis()

        started = time.monotonic()
        result = run_load(
            port=args.port, work=work, clients=args.clients, time_limit=args.time_limit, on_progress=on_progress
        )
        print(
            f"[chaos] load done in {time.monotonic() - started:.1f} s: {len(result.accepted)} accepted, "
            f"errors {result.errors}",
            flush=True,
        )

        load_done = time.monotonic()
        deadline = load_done + args.settle
        figures = check(result.accepted)
        while time.monotonic() < deadline and figures["followups"] < figures["followups_expected"]:
            time.sleep(5)
            figures = check(result.accepted)
            print(
                f"[chaos] waiting for the sweep: {figures['followups']}/{figures['followups_expected']} follow-ups",
                flush=True,
            )
        settled_s = round(time.monotonic() - load_done, 1)
        time.sleep(3)  # let in-flight owner e-mails land before the final count
        figures = check(result.accepted)
        figures["settled_s"] = settled_s  # from the end of the load to every case opened
        figures["unplanned_restarts"] = dict(stack.restarts)  # processes that died on their own (see README)
        from django.db import connections

        connections.close_all()

    ok = (
        figures["lost"] == 0
        and figures["duplicate_followups"] == 0
        and figures["duplicate_owner_emails"] == 0
        and figures["followups"] == figures["followups_expected"]
        and figures["accepted"] >= args.answers * 0.9
        and all(faults.values())
    )
    print(json.dumps(figures))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
