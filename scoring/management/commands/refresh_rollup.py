from django.core.management.base import BaseCommand

from scoring.rollup import refresh_rollup


class Command(BaseCommand):
    help = (
        "Bring the dashboard rollups up to date (--full: count everything again). Readers refresh on "
        "their own; run this after a deploy or a bulk import so the first reader does not wait."
    )

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="recount everything, not only what changed")

    def handle(self, *args, full=False, **options):
        days = refresh_rollup(full=full)
        self.stdout.write("Counted everything." if days == -1 else f"Recounted {days} day(s).")
