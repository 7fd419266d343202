"""The database, and reads on a PostgreSQL streaming replica."""

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_str
from config.settings.base import DEMO_DIR, KRINGLOOP_ENV

_default_database_url = {
    "production": None,
    "development": f"sqlite:///{DEMO_DIR / 'kringloop.sqlite3'}",
    "test": "postgres://postgres@localhost:5432/kringloop",
}[KRINGLOOP_ENV]
DATABASE_URL = env_str("DATABASE_URL", _default_database_url)
if DATABASE_URL is None:
    raise ImproperlyConfigured("DATABASE_URL is required in production (postgres://user:pass@host:5432/db).")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters travel apart from the SQL, so psycopg prepares a statement that a connection runs
    # often (the answer POST's lookup and insert, the worker's batch queries) and PostgreSQL plans it
    # once per connection instead of on every execution. README: Performance.
    # Behind a pooler that cannot keep prepared statements (PgBouncer in transaction mode before 1.21),
    # set DB_PREPARED_STATEMENTS=false.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"server_side_binding": True, "prepare_threshold": 5 if env_bool("DB_PREPARED_STATEMENTS", True) else None}
    )
    # A kept connection the server has cut (a restart, a failover, pg_terminate_backend) is found out
    # before a request uses it and opened again, instead of failing that request (make chaos).
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo runs web, worker and beat as three processes on one SQLite file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# Reads on a PostgreSQL streaming replica (core/replica.py, README "Reads on a replica"): the
# dashboard, comments, exports and the API's lists and summary read there while it answers and lags
# less than REPLICA_MAX_LAG_S; everything else, and every write, stays on the primary.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {
        **dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=DATABASES["default"]["CONN_MAX_AGE"]),
        "OPTIONS": dict(DATABASES["default"].get("OPTIONS", {})),
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["core.replica.ReplicaRouter"]
REPLICA_MAX_LAG_S = env_int("REPLICA_MAX_LAG_S", 10, minimum=0)
REPLICA_CHECK_S = env_int("REPLICA_CHECK_S", 5, minimum=0)
REPLICA_READ_APPS = ("core", "surveys", "followups", "themes", "scoring", "webhooks")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
