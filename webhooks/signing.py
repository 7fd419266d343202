"""Signing webhook bodies, and verifying them (receivers may copy `verify`: it needs only the
standard library).

Every request carries

    Kringloop-Signature: t=1767225600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd

where `t` is the Unix time of the attempt and `v1` the hex HMAC-SHA256 of "<t>.<raw body>" keyed
with the endpoint's signing secret (the whole `whsec_…` string, as UTF-8). Right after a secret
is rotated the header carries two `v1` values, one per secret, for a day; accept the request when
any of them matches. Reject a `t` more than five minutes from your clock: that stops a recorded
request from being replayed later.
"""

import hashlib
import hmac
import time

HEADER = "Kringloop-Signature"
TOLERANCE_SECONDS = 300


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The hex HMAC-SHA256 of "<timestamp>.<body>" with `secret`."""
    message = str(int(timestamp)).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secrets: list[str], body: bytes, timestamp: int) -> str:
    """The header value: "t=<timestamp>,v1=<signature>" with one v1 per secret."""
    return ",".join([f"t={int(timestamp)}", *(f"v1={sign(s, body, timestamp)}" for s in secrets)])


def verify(
    secret: str, body: bytes, header: str, *, tolerance: int = TOLERANCE_SECONDS, now: float | None = None
) -> bool:
    """True when `header` (the Kringloop-Signature value) signs `body` (the raw request bytes,
    before any JSON parsing) with `secret`, at a time within `tolerance` seconds of `now`."""
    timestamp, signatures = None, []
    for part in (header or "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = sign(secret, body, timestamp)
    return any(hmac.compare_digest(expected, candidate) for candidate in signatures)
