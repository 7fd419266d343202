"""Reply-To addresses that say which case (or invitation) a customer's answer belongs to.

`reply+<kind><id>-<mac>@INBOUND_DOMAIN`: the mac is 128 bits of HMAC-SHA256 over the kind and id,
keyed with SECRET_KEY (salted), in lower-case base32, so nobody can make an address for another
case, and mail systems that lower-case local parts change nothing. The whole local part stays well
under RFC 5321's 64 characters. Without INBOUND_DOMAIN no Reply-To is made (replies then go where
they always went).

Kinds: "c" a follow-up case, "i" an invitation (its answer's case, once there is one).
"""

import base64
import hmac
import re
from dataclasses import dataclass

from django.conf import settings
from django.utils.crypto import salted_hmac

SALT = "kringloop.reply-to"
PREFIX = "reply+"
KINDS = ("c", "i")
MAC_CHARS = 26  # 26 base32 characters: 130 bits, of which 128 are the HMAC's first 16 bytes
_LOCAL = re.compile(r"^reply\+([ci])(\d{1,18})-([a-z2-7]{26})$")


@dataclass(frozen=True)
class Parsed:
    kind: str
    pk: int
    genuine: bool  # False: it looks like ours but the mac does not match (forged or mangled)


def domain() -> str:
    return (getattr(settings, "INBOUND_DOMAIN", "") or "").strip().lower()


def _mac(kind: str, pk: int) -> str:
    digest = salted_hmac(SALT, f"{kind}{pk}", algorithm="sha256").digest()[:16]
    return base64.b32encode(digest).decode().rstrip("=").lower()[:MAC_CHARS]


def reply_address(kind: str, pk: int) -> str | None:
    """The Reply-To address for a case ("c") or invitation ("i"); None when inbound mail is off."""
    if kind not in KINDS or not domain() or pk is None:
        return None
    return f"{PREFIX}{kind}{pk}-{_mac(kind, pk)}@{domain()}"


def parse(address: str) -> Parsed | None:
    """What an address names, if it is one of ours (our domain, our shape); None otherwise."""
    local, _at, host = (address or "").strip().strip("<>").lower().rpartition("@")
    if not domain() or host != domain():
        return None
    match = _LOCAL.match(local)
    if match is None:
        return Parsed(kind="", pk=0, genuine=False) if local.startswith(PREFIX) else None
    kind, pk, mac = match.group(1), int(match.group(2)), match.group(3)
    return Parsed(kind=kind, pk=pk, genuine=hmac.compare_digest(mac, _mac(kind, pk)))


def first_ours(addresses) -> Parsed | None:
    """The first address among `addresses` that is ours: a genuine one before a forged one."""
    found = [parsed for parsed in (parse(address) for address in addresses) if parsed is not None]
    return next((parsed for parsed in found if parsed.genuine), found[0] if found else None)
