"""A sliding-window rate limiter, failing open.

- `check(scope, ident, limit=, window=)` counts one hit and says whether it is within the limit, and
  if not, how many seconds until it will be; `allow()` is the yes/no of it.
- `@rate_limit(scope, limit=, window=)` applies it per client address to a view and answers 429
  (with a Retry-After header) when the limit is exceeded; pass `on_limited` for your own page.
- `client_ip(request)`: the client's address. Behind reverse proxies set TRUSTED_PROXY_HOPS to
  their number, so the address is read from X-Forwarded-For (the entry the nearest trusted proxy
  added), not the proxy's own address, and cannot be forged by the client.

The window slides: no span of `window` seconds ever holds more than `limit` accepted hits (a fixed
window let twice the limit through around its boundary). With Redis (production and tests) each
scope and client keeps a sorted set of its accepted hits, trimmed and counted by one Lua script on
Redis's own clock, so every web process agrees. Without Redis (`make demo`) the same log is kept in
the cache, which is good enough for one machine.

Used by the API (per token), the anonymous survey link, unsubscribe, password reset and the sign-in
throttle (accounts.throttle), which adds growing delays of its own.
"""

import logging
import math
import time
import uuid
from dataclasses import dataclass
from functools import wraps

import redis
from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# KEYS[1] the hit log; ARGV window (s), limit, a unique member. Returns {1, 0} or {0, seconds to wait}.
SLIDING_LOG = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000) + 1000)
  return {1, '0'}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, tostring(tonumber(oldest[2]) + window - now)}
"""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0  # whole seconds until a hit would be accepted again (0 when allowed)


_script = None


def _redis_script():
    global _script
    if _script is None:
        _script = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).register_script(SLIDING_LOG)
    return _script


def _key(scope: str, ident: str) -> str:
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    return f"{prefix}:rl:{scope}:{ident}"


def _check_in_cache(key: str, limit: int, window: int) -> Decision:
    now = time.time()
    hits = [hit for hit in (cache.get(key) or []) if hit > now - window]
    if len(hits) < limit:
        cache.set(key, [*hits, now], window + 5)
        return Decision(True)
    return Decision(False, max(1, math.ceil(hits[0] + window - now)))


def check(scope: str, ident: str, *, limit: int, window: int) -> Decision:
    key = _key(scope, ident)
    try:
        if settings.REDIS_URL:
            allowed, wait = _redis_script()(keys=[key], args=[window, limit, uuid.uuid4().hex])
            return Decision(True) if allowed else Decision(False, max(1, math.ceil(float(wait))))
        return _check_in_cache(key, limit, window)
    except Exception:
        # A cache outage must not take the survey down with it.
        logger.warning("Rate limit %s not applied: cache unavailable", scope, exc_info=True)
        return Decision(True)


def allow(scope: str, ident: str, *, limit: int, window: int) -> bool:
    return check(scope, ident, limit=limit, window=window).allowed


def client_ip(request) -> str:
    hops = getattr(settings, "TRUSTED_PROXY_HOPS", 0)
    if hops:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops][:64]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def too_many_requests(request, *, retry_after: int) -> HttpResponse:
    response = HttpResponse(
        _("Too many requests. Please try again in a minute."), status=429, content_type="text/plain; charset=utf-8"
    )
    response["Retry-After"] = str(retry_after)
    return response


def rate_limit(scope: str, *, limit: int, window: int, methods=("POST",), on_limited=None):
    """View decorator: at most `limit` requests per client address per `window` seconds for the
    given methods (all methods with methods=None). `on_limited(request)` builds the 429 answer."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if methods is None or request.method in methods:
                decision = check(scope, client_ip(request), limit=limit, window=window)
                if not decision.allowed:
                    if on_limited is None:
                        return too_many_requests(request, retry_after=decision.retry_after)
                    response = on_limited(request, *args, **kwargs)
                    response["Retry-After"] = str(decision.retry_after)
                    return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
