"""Shared fixtures: service checks, named personas, a real Celery worker."""

import os
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import TeamFactory, UserFactory


def _check_services():
    """Fail at once, naming the service, when PostgreSQL or Redis cannot be reached."""
    import psycopg
    import redis

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql"):
        try:
            psycopg.connect(
                host=db["HOST"] or "localhost",
                port=db["PORT"] or 5432,
                user=db["USER"],
                password=db["PASSWORD"] or None,
                dbname="postgres",
                connect_timeout=3,
            ).close()
        except Exception as exc:
            pytest.exit(
                f"PostgreSQL is not reachable at {db['HOST']}:{db['PORT']} ({exc}). Start it or set DATABASE_URL.",
                returncode=3,
            )
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:
        pytest.exit(f"Redis is not reachable at {settings.REDIS_URL} ({exc}). Start it or set REDIS_URL.", returncode=3)


def pytest_sessionstart(session):
    if os.environ.get("KRINGLOOP_ENV") == "test":
        _check_services()


def on_sqlite() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(request, django_db_modify_db_settings_parallel_suffix):
    """On SQLite (the demo's database) the test database is a file beside the configured one, with the
    demo's options (WAL, IMMEDIATE transactions, busy timeout: config/settings/database.py), not Django's
    in-memory default: the Celery worker's threads and the live server open connections of their own."""
    db = settings.DATABASES["default"]
    if on_sqlite() and not db.get("TEST", {}).get("NAME"):
        name = Path(db["NAME"])
        worker = getattr(request.config, "workerinput", {}).get("workerid", "")  # pytest-xdist
        db.setdefault("TEST", {})["NAME"] = str(name.with_name(f"test{worker}_{name.name}"))


def pytest_collection_modifyitems(config, items):
    """`@pytest.mark.postgres("why")`: the test needs PostgreSQL; on SQLite (the demo's database) it is
    skipped with that reason. Everything else runs on both, except that `once` tests (their own process
    and database) are skipped in the run that KRINGLOOP_ONCE_ELSEWHERE=1 marks."""
    if os.environ.get("KRINGLOOP_ONCE_ELSEWHERE") == "1":
        for item in items:
            if item.get_closest_marker("once") is not None:
                item.add_marker(
                    pytest.mark.skip(reason="independent of this run's database: make test runs it in the other run")
                )
    if not on_sqlite():
        return
    for item in items:
        marker = item.get_closest_marker("postgres")
        if marker is not None:
            reason = marker.args[0] if marker.args else marker.kwargs.get("reason", "needs PostgreSQL")
            item.add_marker(pytest.mark.skip(reason=f"PostgreSQL only: {reason}"))


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Each test starts with no rate-limit or sign-in throttle counts left by the tests before it."""
    from tests.helpers import forget_rate_limits

    forget_rate_limits()


@pytest.fixture(autouse=True)
def _fresh_theme_matchers():
    """Each test starts with no theme matcher built by the tests before it. The matcher is cached per
    process by the themes' version (themes.assign.matcher); a test database flushed between tests
    starts that version at 1 again with other theme rows, so a cached matcher would name themes that
    no longer exist (in production the version only grows)."""
    from themes import assign

    assign._matchers.clear()


# --- Personas -------------------------------------------------------------------------------
@pytest.fixture
def team_a(db):
    return TeamFactory(name="Team A")


@pytest.fixture
def team_b(db):
    return TeamFactory(name="Team B")


@pytest.fixture
def admin(db):
    return UserFactory(username="alice-admin", role="admin")


@pytest.fixture
def agent(db, team_a):
    user = UserFactory(username="arthur-agent", role="agent")
    team_a.members.add(user)
    return user


@pytest.fixture
def lead(db, team_a):
    user = UserFactory(username="lena-lead", role="agent")
    team_a.members.add(user)
    team_a.lead = user
    team_a.save()
    return user


@pytest.fixture
def agent_b(db, team_b):
    user = UserFactory(username="bert-agent-b", role="agent")
    team_b.members.add(user)
    return user


@pytest.fixture
def viewer(db):
    return UserFactory(username="vera-viewer", role="viewer")


@pytest.fixture
def outsider(db):
    """Logged in, but holds no role."""
    return UserFactory(username="otto-outsider", role=None)


@pytest.fixture
def dutch_admin(db):
    """An admin who reads Kringloop in Dutch."""
    from tests.helpers import prefers

    return prefers(UserFactory(username="dirk-beheer", role="admin"), "nl")


@pytest.fixture
def personas(admin, agent, agent_b, viewer, outsider):
    return {"admin": admin, "agent": agent, "agent_b": agent_b, "viewer": viewer, "outsider": outsider}


# --- A real Celery worker -------------------------------------------------------------------
@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker consuming from Redis, in a thread of the test process.

    Needs committed data (transactional_db), as a worker in another process would.
    """
    from celery.contrib.testing.worker import start_worker

    from config.celery import app
    from tests.helpers import empty_broker

    empty_broker()  # tasks and handed-off answers left by tests without a worker
    with start_worker(
        app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=20, loglevel="WARNING"
    ) as worker:
        yield worker


@pytest.fixture
def outbox_backend(settings):
    settings.EMAIL_BACKEND = "core.mail.OutboxBackend"


@pytest.fixture
def provider(settings, db):
    """The simulated e-mail provider (tests/esp.py); its outbox. Requests db first: Django's test
    set-up replaces mail.outbox, and this must hold the new one."""
    from django.core import mail

    from tests import esp

    esp.FLAKY_SEEN.clear()
    settings.EMAIL_BACKEND = "tests.esp.SimulatedProvider"
    mail.outbox = []
    return mail.outbox


@pytest.fixture
def broker():
    """The real broker's default queue and the answer hand-off list, emptied; `broker(task)` lists
    what was published since."""
    from tests.helpers import empty_broker, published_tasks

    empty_broker()
    yield published_tasks
    empty_broker()


@pytest.fixture
def anymail_backend(settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
