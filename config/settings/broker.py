"""Redis, the cache, and Celery with its queues."""

from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from config.env import env_int, env_str
from config.settings.base import DEMO_DIR, PRODUCTION, TESTING

REDIS_URL = env_str("REDIS_URL", "redis://localhost:6379/0" if TESTING else "")
if PRODUCTION and not REDIS_URL:
    raise ImproperlyConfigured("REDIS_URL is required in production (the shared cache for rate limits).")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "kringloop"),
        }
    }
else:
    # Development without Redis: a cache on disk that the web server, worker and beat share.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DEMO_DIR / "cache"),
        }
    }

_filesystem_broker = not (env_str("CELERY_BROKER_URL", "") or REDIS_URL)
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
if _filesystem_broker:
    # A broker that needs no server: kombu's file-system transport, for `make demo`.
    _broker_dir = DEMO_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),  # else kombu makes ./control in the checkout
        "store_processed": False,
    }
else:
    # Longer than any countdown or ETA we use, so an unacknowledged task is not redelivered early.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 6 * 3600)}
# Webhook deliveries and bulk sending (a campaign's invitations and reminders, "you said, we did"
# notices) have a queue each, which every worker also consumes (taking from the three in turn):
# thousands of deliveries, a receiver that keeps timing out, or a send of 20,000 never hold up the
# answers, cases and alerts queued behind them (make chaos: a send of 20,000 waited behind 2,800
# deliveries, then the answers of the next three minutes waited behind the send's 200 batches).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = (
    Queue("celery", routing_key="celery"),
    Queue("bulk", routing_key="bulk"),
    Queue("webhooks", routing_key="webhooks"),
)
CELERY_TASK_ROUTES = {
    "webhooks.tasks.deliver": {"queue": "webhooks"},
    **dict.fromkeys(
        (
            "surveys.tasks.start_wave",
            "surveys.tasks.send_invitation_batch",
            "surveys.tasks.send_reminder_batch",
            "followups.tasks.send_improvement_notices",
            "followups.tasks.send_improvement_notice",
        ),
        {"queue": "bulk"},
    ),
}
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
# Celery's Django fixup closes the database connection after every task without this (and after every
# 2 × this many with it); config/celery.py closes it when unusable or old, as for requests.
CELERY_DB_REUSE_MAX = 500
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# Tasks publish from web requests: fail fast when the broker is down (the sweep picks the work up).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0.1, "interval_step": 0.2}
