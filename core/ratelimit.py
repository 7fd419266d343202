"""A fixed-window rate limiter on the shared cache (Redis in production), failing open.

`allow(scope, ident, limit, window)` counts one hit and says whether it is within the limit.
Used for anonymous survey links and unsubscribe; the login has its own lock-out (core.login).
"""

import logging
import time

from django.core.cache import cache

logger = logging.getLogger(__name__)


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def allow(scope: str, ident: str, *, limit: int, window: int) -> bool:
    bucket = int(time.time() // window)
    key = f"rl:{scope}:{ident}:{bucket}"
    try:
        if cache.add(key, 1, window + 5):
            return True
        return cache.incr(key) <= limit
    except Exception:
        # A cache outage must not take the survey down with it.
        logger.warning("Rate limit %s not applied: cache unavailable", scope, exc_info=True)
        return True
