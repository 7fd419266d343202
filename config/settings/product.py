"""Product rules (`settings.KRINGLOOP`)."""

from config.env import env_bool, env_choice, env_int, env_list, env_rates, env_str
from config.settings.base import PRODUCTION

KRINGLOOP = {
    "QUIET_PERIOD_DAYS": env_int("QUIET_PERIOD_DAYS", 30, minimum=0),
    "REMINDER_AFTER_DAYS": env_int("REMINDER_AFTER_DAYS", 5, minimum=1),
    "ANSWER_EDIT_DAYS": 7,
    "COMMENT_MAX_LENGTH": 5000,
    "MIN_RESPONSES": env_int("NPS_MIN_RESPONSES", 30, minimum=1),
    "SLA_HOURS": {"detractor": 48, "passive": 168, "promoter": 168},
    "BUSINESS_HOURS": env_str("BUSINESS_HOURS", "09:00-17:00"),
    "BUSINESS_DAYS": env_str("BUSINESS_DAYS", "1,2,3,4,5"),
    "INVITE_BATCH_SIZE": env_int("INVITE_BATCH_SIZE", 500, minimum=1),
    "DIGEST_WEEKDAY": 0,  # Monday
    "DIGEST_HOUR": env_int("DIGEST_HOUR", 8, minimum=0),
    # The period alerts on real drops judge (scoring.alerts): the week or the calendar month just ended.
    "ALERT_PERIOD": env_choice("NPS_ALERT_PERIOD", "week", ("week", "month")),
    # New answers reach the worker through a Redis list and a dispatcher in each worker (core/handoff.py);
    # off: one Celery message per answer, published by the web request.
    "ANSWER_HANDOFF": env_bool("ANSWER_HANDOFF", True),
    # How long the dispatcher lets answers gather after the first before it hands them on as one batch.
    "ANSWER_GATHER_MS": env_int("ANSWER_GATHER_MS", 250, minimum=0),
    # A new case's owner alert waits for the customer's "why", at most this long (0: at once).
    "OWNER_ALERT_HOLD_SECONDS": env_int("OWNER_ALERT_HOLD_SECONDS", 600, minimum=0),
    "WEBHOOK_PRIVATE_NETWORKS": env_bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", not PRODUCTION),
    # Accounts (#24): the currency revenue figures are summed in, fixed rates from other currencies
    # into it (surveys.account_money; accounts in a currency without a rate are left out of the
    # sums, and counted), and the ARR from which an account is a key account (shorter SLA).
    "CURRENCY": env_str("CURRENCY", "EUR").upper()[:3],
    "EXCHANGE_RATES": env_rates("EXCHANGE_RATES"),
    "KEY_ACCOUNT_ARR": env_int("KEY_ACCOUNT_ARR", 50000, minimum=0),
    # Seconds between a webhook delivery's attempts (webhooks.delivery), and each attempt's time limit.
    "WEBHOOK_RETRY_DELAYS": tuple(
        int(s) for s in env_list("WEBHOOK_RETRY_DELAYS", ["120", "240", "480", "960", "1920"]) if s.strip()
    ),
    "WEBHOOK_TIMEOUT": env_int("WEBHOOK_TIMEOUT", 10, minimum=1),
}
