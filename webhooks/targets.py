"""Which URLs webhooks may be sent to.

HTTPS is required in production; plain HTTP only outside production or to this machine. Targets on
private, loopback or link-local networks are refused unless WEBHOOK_ALLOW_PRIVATE_NETWORKS is on
(the default outside production), so an admin account cannot be used to probe the internal network.
The address is checked when the endpoint is saved and again before each request (a host name can
change its address later). At send time the request goes to the very address that was checked
(`checked_addresses`; webhooks.delivery connects to it and sends the name only as Host and TLS
server name), so a DNS server that answers differently the second time (DNS rebinding) cannot
redirect it. IPv6 forms that carry an IPv4 address (IPv4-mapped and -compatible, NAT64 64:ff9b::/96
and 64:ff9b:1::/48, 6to4 2002::/16, Teredo) are judged by that IPv4 address.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

LOCAL_NAMES = {"localhost", "localhost.localdomain"}


def private_allowed() -> bool:
    return settings.KRINGLOOP["WEBHOOK_PRIVATE_NETWORKS"]


def _is_local_host(host: str) -> bool:
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _addresses(host: str) -> list:
    try:
        return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in socket.getaddrinfo(host, None)]
    except (socket.gaierror, UnicodeError, ValueError):
        return []


NAT64 = ipaddress.ip_network("64:ff9b::/96")
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: local-use translation, never public
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def _embedded_ipv4(address) -> list:
    """The IPv4 addresses an IPv6 address carries (and so reaches), by any of the usual encodings."""
    if address.version != 6:
        return []
    found = []
    if address.ipv4_mapped:
        found.append(address.ipv4_mapped)
    if address.sixtofour:
        found.append(address.sixtofour)
    if address.teredo:
        found.extend(address.teredo)
    if address in NAT64 or address in IPV4_COMPATIBLE:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def _not_public(address) -> bool:
    if address.version == 6 and address in NAT64_LOCAL:
        return True
    if not address.is_global or address.is_multicast:
        return True
    return any(_not_public(inner) for inner in _embedded_ipv4(address))


def is_public(address) -> bool:
    return not _not_public(address)


def check_url(url: str, *, resolve: bool = True) -> None:
    """ValidationError when webhooks may not go to `url`."""
    _checked(url, resolve=resolve)


def checked_addresses(url: str) -> list:
    """The addresses `url`'s host resolves to now, each allowed as a target; ValidationError if
    the URL or any of them is not (or the name does not resolve). Send to one of these only."""
    addresses = _checked(url, resolve=True)
    if not addresses:
        raise ValidationError(_("The host name could not be resolved."), code="dns")
    return addresses


def _checked(url: str, *, resolve: bool) -> list:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise ValidationError(_("Enter a full http:// or https:// address."), code="scheme")
    if parts.scheme == "http" and settings.PRODUCTION and not _is_local_host(host):
        raise ValidationError(_("Use an https:// address: webhooks carry customer data."), code="https")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    addresses = [literal] if literal is not None else (_addresses(host) if resolve else [])
    if private_allowed():
        return addresses
    if _is_local_host(host) or any(a.is_loopback for a in addresses):
        raise ValidationError(_("Webhooks cannot be sent to this server itself."), code="private")
    if any(_not_public(a) for a in addresses):
        raise ValidationError(
            _("This address is on a private network; webhooks go to public addresses only."), code="private"
        )
    return addresses
