from django.core.management.base import BaseCommand

from demo.seed import seed_demo


class Command(BaseCommand):
    help = "Create the demo company (users admin/agent/viewer with password 'demo'). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--responses", type=int, default=5000, help="How many responses (default 5,000).")
        parser.add_argument("--contacts", type=int, default=500, help="How many contacts (default 500).")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--no-followups", action="store_true", help="Skip follow-ups and improvements.")

    def handle(self, *args, responses, contacts, seed, no_followups, **options):
        result = seed_demo(
            responses=responses, contacts=contacts, seed=seed, followups=not no_followups, stdout=self.stdout
        )
        if not result.created:
            self.stdout.write(f"Demo data already present ({result.responses:,} responses); nothing to do.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data created: {result.contacts:,} contacts, {result.responses:,} responses, "
                f"{result.followups:,} follow-ups. Logins: admin / agent / viewer, password 'demo'."
            )
        )
