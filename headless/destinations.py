"""
Where a webhook may be sent: public addresses only, checked when it is sent.

An endpoint's host name is resolved at send time and the request goes to the very
address that was checked, so a name that resolved to a public address when the endpoint
was saved (or a moment ago) cannot reach the site's own network, a cloud's metadata
service or a loopback admin port. ``HEADLESS_WEBHOOK_ALLOWED_NETWORKS`` lists the
private networks a site does mean to reach (the tests allow 127.0.0.1).
"""

import ipaddress
import socket
from typing import NamedTuple
from urllib.parse import urlsplit

from django.conf import settings


class RefusedDestination(Exception):
    """The endpoint's address is one webhooks may not reach; the message says why."""


class Destination(NamedTuple):
    scheme: str
    host: str
    port: int
    address: str
    path: str


def allowed_networks():
    return [
        ipaddress.ip_network(network, strict=False)
        for network in settings.HEADLESS_WEBHOOK_ALLOWED_NETWORKS
    ]


def is_public(address):
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def check_address(address):
    address = ipaddress.ip_address(address)
    if any(address in network for network in allowed_networks()):
        return
    if not is_public(address):
        raise RefusedDestination(
            f"{address} is a loopback, private, link-local or reserved address; "
            "webhooks are only sent to public addresses (HEADLESS_WEBHOOK_ALLOWED_NETWORKS "
            "lists exceptions)."
        )


def resolve(url):
    """The destination to connect to, its address checked; raises RefusedDestination."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedDestination("A webhook URL must be http:// or https:// with a host name.")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise RefusedDestination(f"{parts.hostname} could not be resolved ({error}).") from error
    # Every address the name has must be allowed: which one a client would pick is not ours
    # to guess, and a name that mixes a public and a private address is an attack.
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    for address in addresses:
        check_address(address)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Destination(parts.scheme, parts.hostname, port, addresses[0], path)
