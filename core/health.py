"""Liveness of the services the product depends on."""

from celery import current_app
from django.db import connection

# Derived data (rollups, …) says how far behind it is; apps register a check in AppConfig.ready().
FRESHNESS_CHECKS = {}


def register_freshness(name: str, check) -> None:
    FRESHNESS_CHECKS[name] = check


def freshness() -> dict:
    """Each registered check's report; a lagging or failing check never makes the service unhealthy."""
    report = {}
    for name, check in FRESHNESS_CHECKS.items():
        try:
            report[name] = check()
        except Exception as exc:
            report[name] = {"status": exc.__class__.__name__}
    return report


def database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True, "ok"
    except Exception as exc:  # any driver error means "down"; the message says why
        return False, exc.__class__.__name__


def broker_ok() -> tuple[bool, str]:
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True, "ok"
    except Exception as exc:
        return False, exc.__class__.__name__
