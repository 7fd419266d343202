"""A fixed-window rate limiter on the shared cache (Redis in production and tests), failing open.

- `allow(scope, ident, limit=, window=)` counts one hit and says whether it is within the limit.
- `@rate_limit(scope, limit=, window=)` applies it per client address to a view and answers 429
  (with a Retry-After header) when the limit is exceeded; pass `on_limited` for your own page.
- `client_ip(request)`: the client's address. Behind reverse proxies set TRUSTED_PROXY_HOPS to
  their number, so the address is read from X-Forwarded-For (the entry the nearest trusted proxy
  added), not the proxy's own address, and cannot be forged by the client.

Used by the anonymous survey link and unsubscribe; the login lock-out (core.login) counts its own.
"""

import logging
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


def client_ip(request) -> str:
    hops = getattr(settings, "TRUSTED_PROXY_HOPS", 0)
    if hops:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops][:64]
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


def too_many_requests(request, *, window: int) -> HttpResponse:
    response = HttpResponse(
        _("Too many requests. Please try again in a minute."), status=429, content_type="text/plain; charset=utf-8"
    )
    response["Retry-After"] = str(window)
    return response


def rate_limit(scope: str, *, limit: int, window: int, methods=("POST",), on_limited=None):
    """View decorator: at most `limit` requests per client address per `window` seconds for the
    given methods (all methods with methods=None). `on_limited(request)` builds the 429 answer."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if methods is None or request.method in methods:
                if not allow(scope, client_ip(request), limit=limit, window=window):
                    if on_limited is None:
                        return too_many_requests(request, window=window)
                    response = on_limited(request, *args, **kwargs)
                    response["Retry-After"] = str(window)
                    return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
