"""Logging."""

from config.env import env_str

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s %(message)s"}},
    "filters": {"forbidden_is_info": {"()": "core.logs.ForbiddenIsInfo"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Django's own "django" logger also writes to a console of its own while DEBUG is on, so
        # every line came twice: everything of Django's goes to the root's console only.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # A 403 is one INFO line, not a WARNING with a traceback.
        "django.request": {"filters": ["forbidden_is_info"]},
        # WeasyPrint logs every typesetting step at INFO (the board report): only its warnings.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
