"""Strict parsing of environment variables.

Settings fail loudly: a value that cannot be parsed stops start-up with a message naming the
variable, instead of silently falling back to a default.
"""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}

_MISSING = object()


def env_str(name: str, default=_MISSING) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if default is _MISSING:
            raise ImproperlyConfigured(f"Environment variable {name} is required but not set.")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"Environment variable {name}={raw!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off."
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"Environment variable {name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"Environment variable {name}={value} must be at least {minimum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = os.environ.get(name, default).strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(f"Environment variable {name}={value!r} must be one of: {', '.join(choices)}.")
    return value


def env_rates(name: str) -> dict[str, float]:
    """Fixed exchange rates "USD=0.92,GBP=1.17": three-letter currency codes (upper-cased), each
    with a positive number of reporting-currency units one unit of it is worth."""
    rates = {}
    for item in env_list(name, []):
        code, sep, raw = item.partition("=")
        code = code.strip().upper()
        try:
            rate = float(raw.strip()) if sep else 0.0
        except ValueError:
            rate = 0.0
        if len(code) != 3 or not code.isalpha() or not 0 < rate < 1e9:
            raise ImproperlyConfigured(
                f"Environment variable {name}: {item!r} is not a rate; write CODE=number, e.g. USD=0.92,GBP=1.17."
            )
        rates[code] = rate
    return rates
