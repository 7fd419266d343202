from django.core.management.base import BaseCommand

from scoring.rollup import refresh_rollup


class Command(BaseCommand):
    help = (
        "Bring the dashboard rollups up to date (--full: count everything again). The worker does this "
        "every 30 seconds and readers count what it has not yet counted live, so it is never needed to "
        "heal; run it after a deploy or a bulk load to have the pages read rollups at once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="recount everything, not only what changed")

    def handle(self, *args, full=False, **options):
        days = refresh_rollup(full=full)
        self.stdout.write("Counted everything." if days == -1 else f"Recounted {days} day(s).")
