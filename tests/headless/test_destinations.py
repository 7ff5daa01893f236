"""Which addresses a webhook may reach: public ones, and the networks a site lists."""

import pytest

from headless.destinations import RefusedDestination, check_address, resolve


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",  # noqa: S104
        "::1",
        "fe80::1",
        "fd00:ec2::254",  # AWS metadata over IPv6
        "::ffff:127.0.0.1",
        "224.0.0.1",
    ],
)
def test_private_and_special_addresses_are_refused(settings, address):
    settings.HEADLESS_WEBHOOK_ALLOWED_NETWORKS = []
    with pytest.raises(RefusedDestination):
        check_address(address)


def test_public_addresses_and_listed_networks_are_allowed(settings):
    settings.HEADLESS_WEBHOOK_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    check_address("93.184.215.14")
    check_address("2606:2800:21f:cb07:6820:80da:af6b:8b2c")
    check_address("10.9.9.9")


def test_a_name_is_resolved_and_every_address_checked(settings):
    settings.HEADLESS_WEBHOOK_ALLOWED_NETWORKS = []
    with pytest.raises(RefusedDestination, match="loopback"):
        resolve("http://localhost:8000/hook")


@pytest.mark.parametrize("url", ["ftp://example.org/", "http:///nohost", "file:///etc/passwd"])
def test_only_http_urls_with_a_host(url):
    with pytest.raises(RefusedDestination, match="http"):
        resolve(url)
