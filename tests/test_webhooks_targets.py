"""Which addresses webhooks may go to (#20.11): IPv6 forms that carry a private IPv4 address are
refused like the IPv4 address itself."""

import pytest
from django.core.exceptions import ValidationError

from webhooks.targets import check_url


@pytest.fixture
def production(settings):
    settings.PRODUCTION = True
    settings.KRINGLOOP = {**settings.KRINGLOOP, "WEBHOOK_PRIVATE_NETWORKS": False}


@pytest.mark.parametrize(
    "url",
    [
        "https://[::127.0.0.1]/hooks",  # IPv4-compatible loopback
        "https://[::10.0.0.1]/hooks",
        "https://[::ffff:10.0.0.1]/hooks",  # IPv4-mapped
        "https://[64:ff9b::127.0.0.1]/hooks",  # NAT64 well-known prefix
        "https://[64:ff9b::10.1.2.3]/hooks",
        "https://[64:ff9b::169.254.169.254]/hooks",
        "https://[64:ff9b:1::8.8.8.8]/hooks",  # local-use NAT64 prefix
        "https://[2002:7f00:1::1]/hooks",  # 6to4 of 127.0.0.1
        "https://[2002:a00:1::1]/hooks",  # 6to4 of 10.0.0.1
        "https://[2002:c0a8:101::1]/hooks",  # 6to4 of 192.168.1.1
        "https://[::1]/hooks",
        "https://[fd00::1]/hooks",
    ],
)
def test_ipv6_addresses_that_reach_a_private_ipv4_address_are_refused(production, url):
    with pytest.raises(ValidationError):
        check_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://[64:ff9b::93.184.215.14]/hooks",  # NAT64 of a public address
        "https://[2002:5db8:d70e::1]/hooks",  # 6to4 of a public address
        "https://[2606:4700::1111]/hooks",
        "https://93.184.215.14/hooks",
    ],
)
def test_public_addresses_in_any_form_are_fine(production, url):
    check_url(url)
