"""
Who the reader is, by network address: the one address the comment rules see, and the
key flood limits count by.

Addresses are parsed, never compared as text: ``2001:DB8:0::1`` and ``2001:db8::1`` are
one reader, and a value that is not an address at all is refused rather than stored.
IPv6 readers are counted by their /64 network, the block one home or phone is given, so
walking through the addresses of one's own network does not buy new flood slots.
"""

import ipaddress
import logging
import re

from django.conf import settings

logger = logging.getLogger(__name__)

#: The forms of an address with a port that proxies write (RFC 7239 node syntax):
#: ``[2001:db8::1]``, ``[2001:db8::1]:443`` and ``192.0.2.1:80``.
BRACKETED_IPV6 = re.compile(r"^\[(?P<host>[^\]]+)\](?::\d{1,5})?$")
IPV4_WITH_PORT = re.compile(r"^(?P<host>\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$")
IPV6_FLOOD_PREFIX = 64


class InvalidClientAddress(ValueError):
    """The address our own proxy (or the connection) gave is not an IP address, so no
    rule could tell this reader apart from others; nothing is stored. Shaped like
    ``rules.CommentRefused`` (``message``, ``status_code``, ``retry_after``) so the form
    and the API answer it the same way."""

    status_code = 400
    retry_after = None
    message = (
        "Your comment was not posted: this site could not read your network address. "
        "Please try again; if it happens again, tell the site's owner, whose proxy "
        "settings need a look."
    )

    def __init__(self):
        super().__init__(self.message)


def client_ip(request):
    """The reader's address, canonical: the connection's, or, behind TRUSTED_PROXY_HOPS
    proxies that each set X-Forwarded-For (deploy/nginx.conf), the one the outermost
    proxy saw. None when the server knows no address (a Unix socket without a proxy).

    Only the entries our own proxies wrote are read; whatever a client put in front of
    them could be anything. An entry that is not an address means the proxies are not
    the ones TRUSTED_PROXY_HOPS counts (or a client reached the server around them):
    ``InvalidClientAddress``, logged for the operator.
    """
    hops = settings.TRUSTED_PROXY_HOPS
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if hops and forwarded:
        addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
        if len(addresses) >= hops:
            return canonical_address(addresses[-hops], source="X-Forwarded-For")
    remote_addr = request.META.get("REMOTE_ADDR")
    if not remote_addr:
        return None
    return canonical_address(remote_addr, source="REMOTE_ADDR")


def canonical_address(value, source):
    """One spelling per address: compressed, lower case, an IPv4 reader reaching an IPv6
    socket as plain IPv4, without a port or a zone id (``fe80::1%eth0``: the zone names
    the server's own network interface, not the reader)."""
    host = value
    if match := BRACKETED_IPV6.match(value) or IPV4_WITH_PORT.match(value):
        host = match["host"]
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        logger.warning(
            "Refused a comment: %s value %r is not an IP address (check TRUSTED_PROXY_HOPS "
            "and that clients cannot reach the server around the proxy).",
            source,
            value[:100],
        )
        raise InvalidClientAddress() from None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return address.ipv4_mapped.compressed
        if address.scope_id:
            address = ipaddress.IPv6Address(address.compressed.partition("%")[0])
    return address.compressed


def rate_limit_key(address):
    """What flood limits count by: an IPv4 address itself, an IPv6 address's /64 network
    (``"2001:db8::/64"``); None for None. ``address`` is what ``client_ip`` returned;
    anything else that is not an address raises ``ValueError``."""
    if address is None:
        return None
    parsed = ipaddress.ip_address(address)
    if isinstance(parsed, ipaddress.IPv4Address):
        return parsed.compressed
    if parsed.ipv4_mapped:
        return parsed.ipv4_mapped.compressed
    network = ipaddress.IPv6Network((int(parsed), IPV6_FLOOD_PREFIX), strict=False)
    return network.compressed
