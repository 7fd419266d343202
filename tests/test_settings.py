"""Settings parse strictly and production refuses to start without its required values."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _django_setup(code="import django; django.setup()", **env):
    base = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "KRINGLOOP_ENV",
            "DEBUG",
            "SECRET_KEY",
            "DATABASE_URL",
            "ALLOWED_HOSTS",
            "REDIS_URL",
            "SITE_URL",
            "ALLOW_HTTP_SITE_URL",
            "EMAIL_BACKEND",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    base.update(env)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
    )


PRODUCTION = {
    "KRINGLOOP_ENV": "production",
    "SECRET_KEY": "test-only-7fQ2pL9zR4vX1mN8bK3sD6hJ0wE5tY-aUcGiOqZ_xV",
    "ALLOWED_HOSTS": "nps.example.com",
    "DATABASE_URL": "postgres://postgres@localhost:5432/kringloop",
    "REDIS_URL": "redis://localhost:6379/0",
    "SITE_URL": "https://nps.example.com",
    "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
    "ANYMAIL_WEBHOOK_SECRET": "user:pass",
    "DJANGO_SETTINGS_MODULE": "config.settings",
}


def test_it_stops_on_a_bad_boolean():
    result = _django_setup(KRINGLOOP_ENV="development", DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_it_stops_on_an_unknown_mode():
    result = _django_setup(KRINGLOOP_ENV="staging")
    assert result.returncode != 0
    assert "KRINGLOOP_ENV" in result.stderr


def test_production_starts_with_all_required_values():
    result = _django_setup(**PRODUCTION)
    assert result.returncode == 0, result.stderr


def test_production_names_each_missing_required_value():
    for name in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "SITE_URL", "EMAIL_BACKEND"):
        env = {k: v for k, v in PRODUCTION.items() if k != name}
        result = _django_setup(**env)
        assert result.returncode != 0, name
        assert name in result.stderr, (name, result.stderr[-500:])


def test_production_refuses_a_site_url_that_is_not_https():
    """RFC 8058 wants an https List-Unsubscribe URL, and e-mails link to SITE_URL."""
    for url in ("http://nps.example.com", "nps.example.com"):
        result = _django_setup(**{**PRODUCTION, "SITE_URL": url})
        assert result.returncode != 0, url
        assert "is not https" in result.stderr and "ALLOW_HTTP_SITE_URL" in result.stderr, result.stderr[-500:]


def test_production_accepts_plain_http_only_when_allowed_by_name():
    plain = {**PRODUCTION, "SITE_URL": "http://nps.internal"}
    assert _django_setup(**plain, ALLOW_HTTP_SITE_URL="true").returncode == 0
    assert _django_setup(**plain, ALLOW_HTTP_SITE_URL="false").returncode != 0


PROXY_HEADER = "from django.conf import settings; print(getattr(settings, 'SECURE_PROXY_SSL_HEADER', None))"


def test_production_trusts_x_forwarded_proto_only_behind_a_declared_proxy():
    alone = _django_setup(PROXY_HEADER, **PRODUCTION)
    assert alone.returncode == 0, alone.stderr
    assert alone.stdout.strip() == "None"
    behind = _django_setup(PROXY_HEADER, **PRODUCTION, TRUSTED_PROXY_HOPS="1")
    assert behind.returncode == 0, behind.stderr
    assert behind.stdout.strip() == "('HTTP_X_FORWARDED_PROTO', 'https')"


def test_production_refuses_debug():
    result = _django_setup(**PRODUCTION, DEBUG="1")
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_production_passes_the_deploy_check():
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(PRODUCTION)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _signal_task(task, *, eager: bool, after: bool = True):
    """Send the signals a task run sends around its body, as from a worker (or an eager run)."""
    from celery.signals import task_postrun, task_prerun

    task.push_request(is_eager=eager)
    try:
        task_prerun.send(sender=task, task_id="t", task=task, args=(), kwargs={})
        if after:
            task_postrun.send(sender=task, task_id="t", task=task, args=(), kwargs={}, retval=None, state="SUCCESS")
    finally:
        task.pop_request()


def test_a_worker_task_keeps_its_database_connection_like_a_request(transactional_db):
    """Celery's Django fixup closed the connection after every task (a third of a worker process's
    time went to connecting in make chaos); now a worker's task closes it only when it is unusable
    or older than CONN_MAX_AGE, as the web does after a request."""
    import time

    from django.db import connection

    from config.celery import app
    from webhooks.tasks import deliver

    assert app.conf.get("CELERY_DB_REUSE_MAX") >= 100  # the fixup's own closing, every 2 × this many tasks
    connection.ensure_connection()
    kept = connection.connection
    connection.close_at = time.monotonic() + 60
    _signal_task(deliver, eager=False)
    assert connection.connection is kept
    connection.close_at = time.monotonic() - 1  # older than CONN_MAX_AGE
    _signal_task(deliver, eager=False)
    assert connection.connection is None


def test_an_eager_task_leaves_its_callers_connection_alone(db):
    """A task run eagerly (task.apply()) runs on its caller's connection, here inside the test's
    transaction: closing it there broke the caller ('the connection is closed', b1e2f83)."""
    from django.db import connection

    from webhooks.tasks import deliver

    connection.ensure_connection()
    kept = connection.connection
    _signal_task(deliver, eager=True)
    assert connection.connection is kept and not connection.closed_in_transaction
    with connection.cursor() as cursor:  # closed under it, this raised 'the connection is closed'
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
