"""Token secrets: made, hashed and checked here. Only the SHA-256 of a token is stored; the
secret has 256 random bits, so a fast hash is enough (nothing to brute-force)."""

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from api.models import ApiToken

PREFIX_BYTES = 4  # 8 hex characters, shown in the token list
TOKEN_RE = re.compile(r"^kl_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$")
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is written at most once a minute per token


def secret_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    """(prefix, whole token)."""
    prefix = secrets.token_hex(PREFIX_BYTES)
    return prefix, f"kl_{prefix}_{secrets.token_urlsafe(32)}"


def token_for(raw: str) -> ApiToken | None:
    """The token whose secret this is (revoked or not), or None."""
    match = TOKEN_RE.match(raw)
    if not match:
        return None
    token = ApiToken.objects.filter(prefix=match.group(1)).first()
    if token is None or not hmac.compare_digest(token.secret_hash, secret_hash(raw)):
        return None
    return token


def token_touch(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is not None and token.last_used_at >= now - TOUCH_EVERY:
        return  # recent enough: no write on every call
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - TOUCH_EVERY)
    ).update(last_used_at=now)
