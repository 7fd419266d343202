"""The rate limits slide: no span of the window ever lets more than the limit through."""

import time

import pytest
from django.core.cache import cache

from core import ratelimit


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


def _wait_until_fraction(window: float, fraction: float) -> None:
    """Sleep until the clock is `fraction` of the way through a fixed window of `window` seconds."""
    time.sleep((fraction * window - time.time() % window) % window)


def test_hits_around_a_fixed_window_boundary_still_count_together():
    # Five hits late in one 2-second clock window, one just after the boundary: a fixed window
    # would start counting afresh and let the sixth through within 0.7 s of the first.
    _wait_until_fraction(2, 0.75)
    assert all(ratelimit.allow("boundary", "client", limit=5, window=2) for _ in range(5))
    _wait_until_fraction(2, 0.05)
    decision = ratelimit.check("boundary", "client", limit=5, window=2)
    assert not decision.allowed
    assert 1 <= decision.retry_after <= 2


def test_a_hit_is_accepted_again_once_the_oldest_leaves_the_window():
    assert all(ratelimit.allow("slide", "client", limit=2, window=1) for _ in range(2))
    assert not ratelimit.allow("slide", "client", limit=2, window=1)
    time.sleep(1.05)
    assert ratelimit.allow("slide", "client", limit=2, window=1)


def test_clients_and_scopes_are_counted_apart():
    assert ratelimit.allow("a", "one", limit=1, window=60)
    assert ratelimit.allow("a", "two", limit=1, window=60)
    assert ratelimit.allow("b", "one", limit=1, window=60)
    assert not ratelimit.allow("a", "one", limit=1, window=60)


def test_without_redis_the_cache_keeps_the_same_sliding_log(settings):
    settings.REDIS_URL = ""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert all(ratelimit.allow("demo", "client", limit=3, window=60) for _ in range(3))
    decision = ratelimit.check("demo", "client", limit=3, window=60)
    assert not decision.allowed and 55 <= decision.retry_after <= 60


def test_a_broken_redis_fails_open(settings, monkeypatch):
    monkeypatch.setattr(ratelimit, "_script", None)
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    assert ratelimit.allow("down", "client", limit=1, window=60)
    assert ratelimit.allow("down", "client", limit=1, window=60)
    monkeypatch.setattr(ratelimit, "_script", None)
