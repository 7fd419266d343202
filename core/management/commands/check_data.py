import json
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from core import consistency


class Command(BaseCommand):
    help = (
        "Check the stored data for consistency, reading only (one read-only snapshot): every answer counted "
        "in the dashboard's rollups, every answer that needs a case has one, no orphan rows, the e-mail "
        "ledger, invitations, notices and webhook deliveries consistent. Exits 1 with a report when "
        "something is off. Work younger than --grace seconds may still be in a task's hands and is not "
        "counted against the data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--grace", type=float, default=300, help="seconds of work left to the tasks (300)")
        parser.add_argument("--only", action="append", default=[], help="run only this check (repeatable)")
        parser.add_argument("--json", action="store_true", help="print the report as one JSON object")

    def handle(self, *args, grace, only, json: bool = False, **options):
        try:
            report = consistency.run(grace=timedelta(seconds=grace), only=only)
        except KeyError as error:
            raise CommandError(error.args[0]) from error
        problems = sum(len(findings) for findings in report.values())
        if json:
            self.stdout.write(self._json(report))
        else:
            for name, findings in report.items():
                if not findings:
                    self.stdout.write(f"ok    {name}")
                for found in findings:
                    examples = f" (e.g. {', '.join(found.examples)})" if found.examples else ""
                    self.stdout.write(f"FAIL  {name}: {found.count} {found.problem}{examples}")
            if problems:
                self.stdout.write(self.style.ERROR(f"check_data: {problems} problem(s) found."))
            else:
                self.stdout.write(self.style.SUCCESS(f"check_data: all {len(report)} checks passed."))
        if problems:
            raise SystemExit(1)

    @staticmethod
    def _json(report) -> str:
        return json.dumps(
            {
                "ok": not any(report.values()),
                "checks": {name: [f.as_dict() for f in findings] for name, findings in report.items()},
            }
        )
