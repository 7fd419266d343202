"""Run the web server, a Celery worker and Celery beat together, until Ctrl-C."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from demo.widget_host import HostServer, current_credentials, ensure_demo_widget


class Command(BaseCommand):
    help = "Run web server, Celery worker and beat together (make demo)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))

    def handle(self, *args, port, **options):
        for folder in ("broker/out", "broker/processed", "cache", "media"):
            (settings.DEMO_DIR / folder).mkdir(parents=True, exist_ok=True)
        python = sys.executable
        commands = {
            "web": [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            "worker": [
                python,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--loglevel",
                "INFO",
                "--pool",
                "threads",
                "--concurrency",
                "4",
                "--hostname",
                "demo@%h",
            ],
            "beat": [
                python,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(settings.DEMO_DIR / "celerybeat-schedule"),
            ],
        }
        processes = {name: subprocess.Popen(cmd, cwd=settings.BASE_DIR) for name, cmd in commands.items()}
        url = f"http://127.0.0.1:{port}"
        # Another origin embedding the widget, with an identified demo user (demo/widget_host.py).
        host_port = port + 1
        widget = ensure_demo_widget([f"http://127.0.0.1:{host_port}"])
        host = HostServer(port=host_port, kringloop_url=url, credentials=current_credentials(widget.pk)).start()
        self.stdout.write(
            self.style.SUCCESS(
                f"\nKringloop is running at {url}\n"
                f"  Log in as admin / demo, agent / demo or viewer / demo (demo accounts only).\n"
                f"  E-mails (and text messages) land in the outbox: {url}/outbox/\n"
                f"  A shop on another origin asks through the widget: {host.url}/ (identified), "
                f"{host.url}/anonymous, {host.url}/nl\n"
                f"  Database: {settings.DATABASES['default']['NAME']}   Broker: {settings.CELERY_BROKER_URL}\n"
                f"  Press Ctrl-C to stop the web server, worker and beat.\n"
            )
        )
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                for name, proc in processes.items():
                    if proc.poll() is not None:
                        self.stderr.write(f"{name} stopped with exit code {proc.returncode}; stopping the rest.")
                        stopping = True
                time.sleep(0.5)
        finally:
            host.stop()
            for proc in processes.values():
                if proc.poll() is None:
                    proc.terminate()
            deadline = time.monotonic() + 10
            for proc in processes.values():
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    proc.kill()
            self.stdout.write("Stopped.")
