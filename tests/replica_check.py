"""Run by tests/test_replica_real.py in a process of its own, with DATABASE_URL on a scratch primary
and DATABASE_REPLICA_URL on its streaming replica: the marked reads are served by the replica, the
rest by the primary, and reads fall back to the primary when the replica stops. Prints one JSON
object; exits non-zero when a check fails."""

import json
import os
import subprocess
import sys
import threading
import time

import psycopg

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django  # noqa: E402

django.setup()
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from core.replica import forget_replica_status, replica_reads, replica_status  # noqa: E402
from surveys.models import Campaign, Contact  # noqa: E402


def quiet_spell_then_a_write() -> dict:
    """After a quiet spell longer than REPLICA_MAX_LAG_S, the first transaction to arrive leaves the
    replica reading as that far behind until it replays it, a moment later: not lag. While replay
    stays paused, it is. Returns /healthz's answer for both."""
    time.sleep(settings.REPLICA_MAX_LAG_S + 1)
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
    Campaign.objects.create(name="After a quiet spell")  # on the primary
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        (written,) = cursor.fetchone()
    deadline = time.monotonic() + 30
    with connections["replica"].cursor() as cursor:
        while time.monotonic() < deadline:  # received, not replayed
            cursor.execute("SELECT pg_last_wal_receive_lsn() >= %s::pg_lsn", [written])
            if cursor.fetchone()[0]:
                break
            time.sleep(0.05)
    forget_replica_status()
    paused = replica_status()

    def resume():
        with psycopg.connect(os.environ["DATABASE_REPLICA_URL"], autocommit=True) as conn:
            conn.execute("SELECT pg_wal_replay_resume()")

    resumer = threading.Timer(0.05, resume)  # well within the check's second look (core.replica.RECHECK_S)
    resumer.start()
    forget_replica_status()
    resumed = replica_status()
    resumer.join(30)
    return {"status_replay_paused": paused, "status_after_quiet": resumed}


def main() -> int:
    call_command("migrate", verbosity=0)
    campaign = Campaign.objects.create(name="Replica check", status=Campaign.Status.ACTIVE)
    Contact.objects.bulk_create([Contact(email=f"r{i}@replica.example") for i in range(50)])
    on_primary = Contact.objects.count()
    figures = {"primary_contacts": on_primary}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the replica replays the writes within moments
        forget_replica_status()
        with replica_reads(), CaptureQueriesContext(connections["replica"]) as seen:
            on_replica = Contact.objects.count()
        if on_replica == on_primary:
            break
        time.sleep(0.2)
    status = replica_status()
    figures.update(
        replica_contacts=on_replica,
        replica_queries=len(seen.captured_queries),
        status=status,
        lag_seconds=status.get("lag_seconds"),
    )
    with CaptureQueriesContext(connections["replica"]) as unmarked:
        Campaign.objects.filter(pk=campaign.pk).exists()  # not marked: the primary
    figures["unmarked_replica_queries"] = len(unmarked.captured_queries)
    figures.update(quiet_spell_then_a_write())
    subprocess.run(sys.argv[1:], check=True)  # the test's command that stops the replica
    connections["replica"].close()
    forget_replica_status()
    with replica_reads(), CaptureQueriesContext(connections["default"]) as fallback:
        figures["contacts_after_stop"] = Contact.objects.count()
    figures["fallback_primary_queries"] = len(fallback.captured_queries)
    figures["status_after_stop"] = replica_status()
    print(json.dumps(figures, default=str))
    ok = (
        figures["replica_contacts"] == on_primary
        and figures["replica_queries"] > 0
        and figures["status"].get("usable") is True
        and figures["unmarked_replica_queries"] == 0
        and figures["contacts_after_stop"] == on_primary
        and figures["fallback_primary_queries"] > 0
        and figures["status_after_stop"].get("reason") == "unreachable"
        and figures["status_replay_paused"].get("reason") == "lagging"
        and figures["status_after_quiet"].get("usable") is True
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
