"""Which URLs webhooks may be sent to.

HTTPS is required in production; plain HTTP only outside production or to this machine. Targets on
private, loopback or link-local networks are refused unless WEBHOOK_ALLOW_PRIVATE_NETWORKS is on
(the default outside production), so an admin account cannot be used to probe the internal network.
The address is checked when the endpoint is saved and again before each request (a host name can
change its address later); the request itself resolves the name once more, so this is a guard
against mistakes and casual probing, not against a hostile DNS server.
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


def _not_public(address) -> bool:
    return not address.is_global or address.is_multicast


def check_url(url: str, *, resolve: bool = True) -> None:
    """ValidationError when webhooks may not go to `url`."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise ValidationError(_("Enter a full http:// or https:// address."), code="scheme")
    if parts.scheme == "http" and settings.PRODUCTION and not _is_local_host(host):
        raise ValidationError(_("Use an https:// address: webhooks carry customer data."), code="https")
    if private_allowed():
        return
    if _is_local_host(host):
        raise ValidationError(_("Webhooks cannot be sent to this server itself."), code="private")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    addresses = [literal] if literal is not None else (_addresses(host) if resolve else [])
    if any(_not_public(a) for a in addresses):
        raise ValidationError(
            _("This address is on a private network; webhooks go to public addresses only."), code="private"
        )
