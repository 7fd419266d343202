"""`make bench`: performance figures as ratios against baselines measured in the same run.

Seeds 1,000,000 responses into a scratch PostgreSQL database, starts gunicorn and a Celery worker
on a private Redis (all on localhost), measures, prints a table, and prints one JSON object as its
last line. Every loop is bounded in time and count.
"""

import argparse
import http.client
import json
import os
import re
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from tests.esp_server import EspServerProcess
from tests.load import bench_replica, bench_scale
from tests.load.bench_reads import measure_api_summary, measure_comment_search, measure_export
from tests.load.bench_submit import SubmitPhase
from tests.load.bench_widget import ORIGIN as WIDGET_ORIGIN
from tests.load.bench_widget import WidgetPhase
from tests.load.measure import children, get_page, median_ms, p, peak_rss_mb
from tests.load.stack import Stack, running

GOALS = {
    "seed_1m_s": ("<=", 60),
    "submit_ratio": (">=", 0.6),
    "submit_e2e_ratio": (">=", 0.5),
    "submit_p99_ratio": ("<=", 1.5),
    "widget_submit_ratio": (">=", 0.5),
    "widget_gzip_bytes": ("<", 15_000),
    "dashboard_ms": ("<=", 300),
    "dashboard_ratio": ("<=", 1.0),
    "filtered_dashboard_ms": ("<=", 500),
    "accounts_list_ms": ("<=", 300),
    "board_report_s": ("<=", 10),
    "themes_100k_s": ("<=", 60),
    "theme_report_ms": ("<=", 300),
    "export_1m_rows_s": (">=", 50_000),
    "export_rss_mb": ("<=", 200),
    "invites_per_s": (">=", 3000),
    "esp_calls_per_1000_invites": ("<=", 5),
    "followup_p95_ms": ("<=", 2000),
    # The ten-million mode (tests/load/bench_scale.py): at the second size of the run.
    "seed_10m_s": ("<=", 400),
    "dashboard_10m_ms": ("<=", 300),
    "dashboard_growth": ("<=", 1.5),
    "filtered_dashboard_10m_ms": ("<=", 500),
    "api_summary_10m_ms": ("<=", 300),
    "comments_search_10m_ms": ("<=", 300),
    "web_rss_mb": ("<=", 150),
    "worker_rss_mb": ("<=", 200),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--invites", type=int, default=100_000)
    parser.add_argument(
        "--accounts", type=int, default=None, help="accounts the contacts belong to (default: responses / 10)"
    )
    parser.add_argument("--seconds", type=float, default=20, help="duration of each load phase")
    parser.add_argument(
        "--open-invitations",
        type=int,
        default=None,
        help="sent invitations for the answer POSTs to use (default: 60,000; 120,000 with the replica phase)",
    )
    parser.add_argument("--name", default="bench", help="scratch database kringloop_NAME and logs in artifacts/NAME")
    parser.add_argument("--logs", type=Path, default=None, help="folder for the logs (default: artifacts/NAME)")
    parser.add_argument("--port", type=int, default=8411)
    parser.add_argument("--redis-port", type=int, default=6491)
    parser.add_argument(
        "--phases",
        default="submit,reads,followup,invites",
        help="comma-separated phases to run after seeding (default: all; `replica` needs and --replica adds it)",
    )
    parser.add_argument(
        "--settle-limit", type=float, default=300, help="seconds a submit round waits for the worker at most"
    )
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--web-threads", type=int, default=8, help="threads per gunicorn process")
    parser.add_argument("--worker-concurrency", type=int, default=2, help="Celery worker processes")
    parser.add_argument(
        "--worker-nice",
        type=int,
        default=10,
        help="CPU priority of the Celery worker below the web's (README: Deploying); 0 for equal",
    )
    parser.add_argument(
        "--keep-database",
        action="store_true",
        help="diagnosis: leave the scratch database behind (drop it with dropdb kringloop_NAME)",
    )
    parser.add_argument(
        "--without-worker",
        action="store_true",
        help="diagnosis only: measure the answer POST with no worker processing the answers",
    )
    bench_scale.add_arguments(parser)
    bench_replica.add_arguments(parser)
    args = parser.parse_args()
    bench_scale.resolve(args)
    phases = set(args.phases.split(","))
    args.replica = args.replica or "replica" in phases
    if args.replica:
        phases.add("replica")
    if args.open_invitations is None:
        args.open_invitations = 120_000 if args.replica else 60_000
    # Mail goes to a local server speaking Mailgun's send API (tests/esp_server.py, in a process of its
    # own), through anymail's Mailgun backend: invitations use its batch API (surveys/esp_batch.py), as in
    # production. Both context managers close on every way out of the run (its end, an error, Ctrl-C).
    with (
        bench_replica.ReplicaClusters(args) as clusters,  # with --replica: a scratch primary and its replica
        EspServerProcess() as esp,
    ):
        return run(args, phases, clusters, esp)


def run(args, phases: set, clusters, esp: EspServerProcess) -> int:
    stack = Stack(
        name=args.name,
        web_port=args.port,
        redis_port=args.redis_port,
        web_workers=args.web_workers,
        web_threads=args.web_threads,
        worker_concurrency=args.worker_concurrency,
        worker_nice=args.worker_nice,
        logs=args.logs,
    )
    env = stack.prepare()
    mailgun = esp.settings_for("mailgun")
    env.update(
        {
            "ROOT_URLCONF": "tests.load.bench_urls",
            "EMAIL_BACKEND": mailgun["EMAIL_BACKEND"],
            **{f"ANYMAIL_{name}": value for name, value in mailgun["ANYMAIL"].items()},
            "INVITE_BATCH_SIZE": "1000",
            # The public-link answers come from many client addresses behind one proxy hop (bench_submit).
            "TRUSTED_PROXY_HOPS": "1",
        }
    )
    stack.env = env
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from api.scopes import NPS_READ
    from api.services import token_create
    from core.roles import assign_role
    from tests.load.seed_bulk import seed_bulk

    figures = {"worker_nice": args.worker_nice}
    with running(stack, keep_database=args.keep_database):
        # --- Seeding ---------------------------------------------------------------------------
        t0 = time.perf_counter()
        accounts = args.accounts if args.accounts is not None else max(args.responses // 10, 100)
        timings = seed_bulk(responses=args.responses, contacts=max(args.responses // 10, 1000), accounts=accounts)
        seed_seconds = time.perf_counter() - t0
        figures["seed_1m_s"] = round(seed_seconds * 1_000_000 / args.responses, 1)
        print(f"[bench] seeded {args.responses:,} responses in {timings['total_s']} s {timings}", flush=True)

        from surveys.models import Campaign, Contact, Invitation, Touchpoint

        # Open invitations for the submit test, fresh contacts for the invitation test.
        campaign = Campaign.objects.get(name="Bench Support")
        contacts = Contact.objects.bulk_create(
            [
                Contact(email=f"s{i}@submit.example", attributes={"bench": "submit"})
                for i in range(args.open_invitations + 200)
            ],
            batch_size=5000,
        )
        tokens = [
            inv.token
            for inv in Invitation.objects.bulk_create(
                [Invitation(campaign=campaign, contact=c, status=Invitation.Status.SENT) for c in contacts],
                batch_size=5000,
            )
        ]
        Contact.objects.bulk_create(
            [Contact(email=f"i{i}@invite.example", attributes={"bench": "invite"}) for i in range(args.invites)],
            batch_size=5000,
        )
        # The widget's answers (tests/load/bench_widget.py): identified contacts' widget invitations.
        from surveys.models import WidgetSettings

        widget_campaign = Campaign.objects.create(
            name="Bench widget",
            kind=campaign.kind,
            channel=Campaign.Channel.WIDGET,
            status=Campaign.Status.ACTIVE,
            touchpoint=campaign.touchpoint,
            team=campaign.team,
        )
        widget = WidgetSettings.objects.create(campaign=widget_campaign, origins=[WIDGET_ORIGIN])
        widget_tokens = [
            inv.token
            for inv in Invitation.objects.bulk_create(
                [
                    Invitation(campaign=widget_campaign, contact=c, status=Invitation.Status.SENT)
                    for c in contacts[: max(args.open_invitations // 3, 1000)]
                ],
                batch_size=5000,
            )
        ]
        # The run's own contacts (above) were there before the run, as the seeded ones were (dated
        # back by seed_bulk): a production page comes long after the last bulk load, not within the
        # late-commit margin of it (scoring.changes), where each page would count every loaded row.
        an_hour_ago = timezone.now() - timedelta(hours=1)
        Contact.objects.filter(attributes__bench__in=["submit", "invite"]).update(
            created_at=an_hour_ago, updated_at=an_hour_ago
        )
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
        from scoring.rollup import refresh_rollup

        refresh_rollup(full=True)  # the worker's first refresh (beat, every 30 s); readers never build them
        from surveys.account_health import revenue_day_write

        # What the worker's account health recount (beat, every 10 minutes) leaves for the pages to
        # read: today's revenue rows per team and segment (the seeded accounts have no health yet).
        revenue_day_write(day=timezone.localdate())
        viewer = get_user_model().objects.create_user("bench-viewer", "v@bench.example", "unused-" + str(time.time()))
        assign_role(viewer, "viewer")
        client = Client()
        client.force_login(viewer)
        session = client.cookies["sessionid"].value
        # The accounts list needs an agent or admin (it names contacts); an admin sees every team's figures.
        account_reader = get_user_model().objects.create_user("bench-accounts", "ac@bench.example", "unused")
        assign_role(account_reader, "admin")
        reader_client = Client()  # a client of its own: logging in again would end the viewer's session
        reader_client.force_login(account_reader)
        account_session = reader_client.cookies["sessionid"].value
        api_token = token_create(name="bench", scopes=[NPS_READ], actor=None)[1]  # for the API's NPS summary

        stack.start_web()
        if not args.without_worker:
            stack.start_worker()
        web_master = stack.procs["web"].pid

        # --- Web throughput: baseline vs the public answer POST (tests/load/bench_submit.py) -------
        campaign.anonymous_link_enabled = True
        campaign.save(update_fields=["anonymous_link_enabled"])
        probe = tokens[-200:]  # kept for the follow-up phase
        answers = SubmitPhase(
            port=args.port,
            redis_port=args.redis_port,
            stack=stack,
            tokens=tokens[:-200],
            anonymous_token=campaign.anonymous_token,
            settle_limit=args.settle_limit,
            esp_pid=esp.pid,
        )
        drain = answers.settle
        if "submit" in phases:
            figures.update(answers.run(seconds=args.seconds))
            if args.worker_nice and not args.without_worker:  # again with the worker at the web's priority
                stack.kill("worker")
                stack.worker_nice = 0
                stack.start_worker()
                figures.update(answers.run(seconds=args.seconds, suffix="_nice0"))
            # The widget's answer call against the same baseline, with the worker at the priority of
            # the figures of record (submit_ratio's), not at the _nice0 rerun's.
            if stack.worker_nice != args.worker_nice and not args.without_worker:
                stack.kill("worker")
                stack.worker_nice = args.worker_nice
                stack.start_worker()
            widget_phase = WidgetPhase(port=args.port, key=widget.public_key, tokens=widget_tokens, settle=drain)
            figures.update(widget_phase.run(seconds=args.seconds))

        if "reads" in phases:
            # --- Reads: one hand-written SQL aggregate vs the whole dashboard -----------------------
            def raw_sql():
                with connection.cursor() as cur:
                    cur.execute("""SELECT date_trunc('week', submitted_at) AS week, COUNT(*),
                                          COUNT(*) FILTER (WHERE category = 'promoter'),
                                          COUNT(*) FILTER (WHERE category = 'detractor')
                                   FROM surveys_response GROUP BY 1 ORDER BY 1""")
                    cur.fetchall()

            def page(path, session=session):
                get_page(args.port, path, session=session)

            tp = Touchpoint.objects.get(slug="support").pk
            if "submit" in phases:
                drain(timezone.now())
                refresh_rollup()  # what beat does within 30 s; until then pages count the new answers live
            figures["raw_sql_ms"] = median_ms(raw_sql)
            page("/dashboard/?period=365d&kind=all")  # warm caches
            figures["dashboard_ms"] = median_ms(lambda: page("/dashboard/?period=365d&kind=all"))
            figures["dashboard_ratio"] = round(figures["dashboard_ms"] / figures["raw_sql_ms"], 2)
            figures["default_dashboard_ms"] = median_ms(lambda: page("/dashboard/"))
            figures["filtered_dashboard_ms"] = median_ms(
                lambda: page(f"/dashboard/?period=365d&kind=all&segment=plan=pro&touchpoint={tp}")
            )
            # The accounts list (#24): every account's NPS over its contacts' latest answers, sorted by
            # ARR with the urgent renewals first, and the revenue figures above it (scoring.accounts).
            page("/accounts/", account_session)  # warm caches
            figures["accounts_list_ms"] = median_ms(lambda: page("/accounts/", account_session))
            figures["accounts_sorted_by_nps_ms"] = median_ms(lambda: page("/accounts/?sort=-nps", account_session))
            # Deep paging on the stored rows, and a filter they cannot answer (grouped from LatestScore).
            figures["accounts_deep_page_ms"] = median_ms(
                lambda: page("/accounts/?sort=-change&page=1000", account_session)
            )
            figures["accounts_filtered_ms"] = median_ms(lambda: page(f"/accounts/?touchpoint={tp}", account_session))
            figures["accounts"] = accounts
            # The board report as the worker makes it (scoring.report_jobs): an admin's, 12 months,
            # both survey types, figures read and the PDF typeset (WeasyPrint), in this process.
            from scoring import board_report, report_jobs

            reporter = get_user_model().objects.create_user("bench-admin", "a@bench.example", "unused")
            assign_role(reporter, "admin")
            t = time.perf_counter()
            data = board_report.report_data(
                report_jobs.reader_filters(reporter, "period=365d&kind=all"), report_jobs.reader_for(reporter)
            )
            figures["board_report_kb"] = round(len(board_report.render_pdf(data)) / 1024)
            figures["board_report_s"] = round(time.perf_counter() - t, 2)
            # Themes (#23): each comment's language and themes, read as the worker reads them
            # (themes.assign), in this process, for the first 100,000 comments (per 100,000 when
            # fewer); then the rest untimed, and the theme report over every answer, 12 months.
            from surveys.models import Response
            from themes import assign, text

            commented = list(Response.objects.exclude(comment="").order_by("pk").values_list("pk", flat=True))
            timed = commented[:100_000]
            text.detect_language("warm up", "en")  # a worker loads the models once, on its first comment
            t = time.perf_counter()
            assign.analyse_responses(response_ids=timed)
            figures["themes_100k_s"] = round((time.perf_counter() - t) * 100_000 / max(len(timed), 1), 1)
            assign.analyse_responses(response_ids=commented[100_000:])
            page("/dashboard/themes/?period=365d&kind=all")  # warm caches
            figures["theme_report_ms"] = median_ms(lambda: page("/dashboard/themes/?period=365d&kind=all"))
            # The streamed CSV export of every answer, the comment search and the API's NPS summary
            # (tests/load/bench_reads.py), over HTTP.
            figures.update(measure_export(args.port, account_session, web_master=web_master))
            figures["comments_search_ms"] = measure_comment_search(args.port, account_session)
            figures["api_summary_ms"] = measure_api_summary(args.port, api_token)

        if "followup" in phases:
            # --- Follow-up latency: committed detractor answer → case routed and owner e-mailed ------
            from core.models import EmailDelivery
            from followups.models import FollowUp
            from surveys.models import Response

            drain(timezone.now())  # let the submit phase's answers and e-mails drain first
            conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
            state = {}
            accepted = 0
            for token in probe[:100]:
                accepted += bool(answers.first_answer(conn, 0, state, token=token))  # score 3: a detractor
                time.sleep(0.05)
            figures["followup_probe_accepted"] = accepted
            deadline = time.monotonic() + 60
            while (
                time.monotonic() < deadline
                and EmailDelivery.objects.filter(
                    kind="followup_owner",
                    sent_at__isnull=False,
                    key__in=[
                        f"followup-owner:{f.pk}:{f.owner_id}"
                        for f in FollowUp.objects.filter(response__invitation__token__in=probe)
                    ],
                ).count()
                < accepted
            ):
                time.sleep(0.5)
            lags, routed = [], []
            for followup in FollowUp.objects.filter(response__invitation__token__in=probe).select_related("response"):
                routed.append((followup.created_at - followup.response.submitted_at).total_seconds() * 1000)
                delivery = EmailDelivery.objects.filter(key__startswith=f"followup-owner:{followup.pk}:").first()
                if delivery and delivery.sent_at:
                    lags.append((delivery.sent_at - followup.response.submitted_at).total_seconds() * 1000)
            figures["followup_p95_ms"] = p(lags, 95) if len(lags) >= 2 else None
            figures["followup_routed_p95_ms"] = p(routed, 95) if len(routed) >= 2 else None
            figures["followup_samples"] = len(lags)

        if "invites" in phases:
            # --- Invitations through Celery -----------------------------------------------------------
            from surveys.models import SendWave
            from surveys.sending import campaign_send

            invite_campaign = Campaign.objects.create(
                name="Bench invitations",
                kind="relational",
                status="draft",
                audience_filter={"bench": "invite"},
                quiet_period_days=0,
                reminder_after_days=None,
            )
            calls_before = esp.counts()["calls"]
            t0 = time.monotonic()
            wave = campaign_send(campaign=invite_campaign, actor=None)
            deadline = t0 + 900
            while time.monotonic() < deadline:
                sent = Invitation.objects.filter(wave=wave, status="sent").count()
                if SendWave.objects.filter(pk=wave.pk, finished_at__isnull=False).exists() or sent >= args.invites:
                    break
                time.sleep(1)
            elapsed = time.monotonic() - t0
            sent = Invitation.objects.filter(wave=wave, status="sent").count()
            figures["invites_sent"] = sent
            figures["invites_per_s"] = round(sent / elapsed, 1)
            figures["esp_calls_per_1000_invites"] = round(
                (esp.counts()["calls"] - calls_before) * 1000 / max(sent, 1), 2
            )

        figures["web_rss_mb"] = peak_rss_mb(children(web_master))
        worker_master = stack.procs["worker"].pid if "worker" in stack.procs else os.getpid()
        figures["worker_rss_mb"] = peak_rss_mb(children(worker_master) + [worker_master])

        if args.scale_to:
            # --- The reads again at the second size (--scale-to; tests/load/bench_scale.py) ----------
            reads = bench_scale.Reads(
                port=args.port,
                viewer_session=session,
                agent_session=account_session,
                api_token=api_token,
                touchpoint=Touchpoint.objects.get(slug="support").pk,
            )
            figures.update(
                bench_scale.run(
                    args=args,
                    reads=reads,
                    clients={"viewer": client, "agent": reader_client},
                    seed_seconds=seed_seconds,
                    drain=drain,
                    logs=stack.logs,
                )
            )
        if "replica" in phases:  # last: it restarts the web reading from the replica (tests/load/bench_replica.py)
            figures.update(
                bench_replica.run(
                    clusters=clusters,
                    stack=stack,
                    submit=answers,
                    session=session,
                    port=args.port,
                    seconds=args.seconds,
                )
            )
        connection.close()

    print(f"\n{'figure':<24} {'value':>12} {'goal':>10}")
    for key, value in figures.items():
        goal = GOALS.get(key)
        mark = ""
        if goal and value is not None:
            ok = {"<=": value <= goal[1], "<": value < goal[1], ">=": value >= goal[1]}[goal[0]]
            mark = "ok" if ok else "MISSED"
        print(f"{key:<24} {value!s:>12} {(f'{goal[0]} {goal[1]}' if goal else ''):>10} {mark}")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
