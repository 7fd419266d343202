"""Helpers the surveys models share: a record's translated name and the URL tokens."""

import secrets

from core.i18n import in_language


def translated_name(record) -> str:
    """A touchpoint's or root cause's name in the active language, else its own (core.i18n.in_language)."""
    names = {code: texts.get("name") for code, texts in (record.translations or {}).items() if isinstance(texts, dict)}
    return in_language(names, own=record.name)


def new_token() -> str:
    """An unguessable URL token: 18 random bytes = 144 bits, 24 characters."""
    return secrets.token_urlsafe(18)
