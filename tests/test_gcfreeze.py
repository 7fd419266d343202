"""A web process freezes what it loaded at start-up (core/gcfreeze.py): a full garbage collection
then walks only what requests made, not Django and every view (a 40–90 ms pause with the GIL held)."""

import os
import subprocess
import sys
from pathlib import Path

from celery.signals import worker_process_init

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import gc
import config.wsgi
import sys
print(gc.get_freeze_count(), 'surveys.public_views' in sys.modules)
"""


def test_the_wsgi_application_freezes_django_and_every_view_once_loaded():
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    frozen, views_loaded = result.stdout.split()
    assert int(frozen) > 50_000, result.stdout
    assert views_loaded == "True"  # loaded before the freeze, so the first request's imports are in it


def test_each_worker_pool_process_freezes_what_it_loaded():
    import gc

    before = gc.get_freeze_count()
    try:
        worker_process_init.send(sender=None)
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()


WORKER_PROBE = """
import sys
import django
django.setup()
from config.celery import app
from celery.signals import worker_init
before = 'surveys.public_views' in sys.modules
worker_init.send(sender=None)
print(before, 'surveys.public_views' in sys.modules)
"""


def test_the_worker_loads_the_url_patterns_before_its_pool_starts():
    """Its e-mails reverse() URLs: loaded in the main process, the pool processes share the views
    instead of each importing them inside its first task."""
    result = subprocess.run(
        [sys.executable, "-c", WORKER_PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
    )
    assert result.stdout.split() == ["False", "True"], result.stdout
