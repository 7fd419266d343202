"""Run by tests/test_replica_real.py in a process of its own, with DATABASE_URL on a scratch primary
and DATABASE_REPLICA_URL on its streaming replica: the marked reads are served by the replica, the
rest by the primary, and reads fall back to the primary when the replica stops. Prints one JSON
object; exits non-zero when a check fails."""

import json
import os
import subprocess
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django  # noqa: E402

django.setup()
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from core.replica import forget_replica_status, replica_reads, replica_status  # noqa: E402
from surveys.models import Campaign, Contact  # noqa: E402


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
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
