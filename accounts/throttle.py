"""Sign-in throttling: growing delays per account *and* client address, never a lock on the account.

The old rule (five failures lock an account for 15 minutes, from anywhere) let anyone lock out any
colleague, the admin included, again and again. Now:

- Failures are counted per (account, address) pair. After PAIR_FREE failures, each next attempt
  from that pair must wait BASE_DELAY seconds, doubling with every further failure, up to
  MAX_DELAY. A pair's count is forgotten a day after its last failure, or at once after a
  successful sign-in. The real user, signing in from their own address, is not slowed down by an
  attacker guessing from elsewhere.
- Failures are also counted per address over all accounts (password spraying): after ADDRESS_FREE,
  the same growing delays apply to that address, forgotten an hour after its last failure.
- On top, every attempt (not only failures) passes core.ratelimit's atomic sliding window per pair
  and per address, so a burst of parallel requests cannot slip many guesses in before the first
  failure is counted.

Counts live in the shared cache (Redis in production), so every web process agrees; if the cache
is unreachable we fail open, as core.ratelimit does. Refusals are answered with 429 and the wait.
"""

import hashlib
import logging
import math
import time

from django.core.cache import cache

from core import ratelimit

logger = logging.getLogger(__name__)

PAIR_FREE = 4
ADDRESS_FREE = 20
BASE_DELAY = 2
MAX_DELAY = 15 * 60
PAIR_MEMORY = 24 * 3600
ADDRESS_MEMORY = 3600
# Attempts (right or wrong) per minute; far above what a person types.
PAIR_ATTEMPTS_PER_MINUTE = 10
ADDRESS_ATTEMPTS_PER_MINUTE = 60


def account_key(username: str) -> str:
    return hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]


def _keys(username: str, ip: str) -> tuple[str, str]:
    return f"signin-fail:pair:{account_key(username)}:{ip}", f"signin-fail:addr:{ip}"


def delay_after(failures: int, free: int) -> int:
    """Seconds to wait after `failures` failures when the first `free` cost nothing."""
    if failures <= free:
        return 0
    return min(BASE_DELAY * 2 ** min(failures - free - 1, 20), MAX_DELAY)


def _wait(state: dict | None, free: int, now: float) -> int:
    if not state:
        return 0
    return max(0, math.ceil(state["last"] + delay_after(state["n"], free) - now))


def wait_seconds(username: str, ip: str) -> int:
    """How long this account and address must wait before the next attempt (0: go ahead)."""
    pair_key, address_key = _keys(username, ip)
    now = time.time()
    try:
        states = cache.get_many([pair_key, address_key])
    except Exception:
        logger.warning("Sign-in throttle skipped: cache unavailable", exc_info=True)
        return 0
    return max(_wait(states.get(pair_key), PAIR_FREE, now), _wait(states.get(address_key), ADDRESS_FREE, now))


def attempt_allowed(username: str, ip: str) -> int:
    """Count one attempt in the sliding windows; 0 when allowed, else seconds to wait."""
    pair = ratelimit.check("signin-pair", f"{account_key(username)}:{ip}", limit=PAIR_ATTEMPTS_PER_MINUTE, window=60)
    address = ratelimit.check("signin-addr", ip, limit=ADDRESS_ATTEMPTS_PER_MINUTE, window=60)
    return max(pair.retry_after, address.retry_after)


def record_failure(username: str, ip: str) -> int:
    """Count a failure for the pair and the address; the pair's failure count afterwards."""
    pair_key, address_key = _keys(username, ip)
    now = time.time()
    try:
        states = cache.get_many([pair_key, address_key])
        pair = {"n": (states.get(pair_key) or {}).get("n", 0) + 1, "last": now}
        address = {"n": (states.get(address_key) or {}).get("n", 0) + 1, "last": now}
        cache.set(pair_key, pair, PAIR_MEMORY)
        cache.set(address_key, address, ADDRESS_MEMORY)
        return pair["n"]
    except Exception:
        logger.warning("Sign-in failure not counted: cache unavailable", exc_info=True)
        return 0


def clear(username: str, ip: str) -> None:
    """A successful sign-in forgets the pair's failures (not the address's)."""
    try:
        cache.delete(_keys(username, ip)[0])
    except Exception:
        pass
