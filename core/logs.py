"""Logging helpers wired up by settings.LOGGING."""

import logging


class ForbiddenIsInfo(logging.Filter):
    """A refused request (403) is routine, not a fault: Django logs it as a WARNING with the
    PermissionDenied traceback; this filter turns it into one INFO line without the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.exc_info, record.exc_text = None, None
            return logging.getLogger(record.name).isEnabledFor(logging.INFO)
        return True
