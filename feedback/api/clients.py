"""The address a request comes from, seen through the reverse proxies the operator trusts."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from ipaddress import IPv4Address, IPv6Address, ip_address

from starlette.requests import Request
from starlette.types import Scope

from feedback.services import Services
from feedback.settings import TrustedProxy

# "[2001:db8::1]:1234", "[2001:db8::1]" or "192.0.2.1:5678"; a bare IPv6 address has no port.
HOST_AND_PORT = re.compile(r"\[(?P<bracketed>[^\]]*)\](?::[0-9]{1,5})?|(?P<ipv4>[^:]*):[0-9]{1,5}")


async def address_hash(request: Request, services: Services, site: str) -> str:
    """The day's hash of the request's client network for `site`; '' when no limit needs one."""
    hasher = services.addresses
    if not hasher.enabled:
        return ""
    return await hasher.hash(client_address(request.scope, services.settings.trusted_proxies), site)


def client_address(scope: Scope, trusted_proxies: Sequence[TrustedProxy]) -> str | None:
    """The client's IP address: the peer, or the rightmost X-Forwarded-For entry that is not a trusted proxy.

    Each proxy appends the address it received the request from, so only the entries our own
    proxies added can be believed: everything to their left was written by the client, who can
    put anything there. Walking from the right, the first untrusted entry is therefore the
    client (as Express's proxy-addr does). An entry that is not an IP address ends the walk at
    the last trusted hop rather than trusting what lies beyond it. A peer that is not an IP
    address (a test client's name) is returned as it is. A peer on the server's Unix socket
    (no address) is a trusted proxy when `trusted_proxies` holds "unix"; None when unknown.
    """
    client: IPv4Address | IPv6Address | None = None
    if scope.get("client") is None:
        if "unix" not in trusted_proxies:
            return None
    else:
        peer: str = scope["client"][0]
        client = _parse_address(peer)
        if client is None:
            return peer
        if not _is_trusted(client, trusted_proxies):
            return str(client)
    for entry in reversed(_forwarded_for(scope)):
        hop = _parse_address(entry)
        if hop is None:
            break
        client = hop
        if not _is_trusted(hop, trusted_proxies):
            break
    return None if client is None else str(client)


def from_trusted_proxy(scope: Scope, trusted_proxies: Sequence[TrustedProxy]) -> bool:
    """Whether the request's peer is one of the trusted proxies, whose headers are believed."""
    if scope.get("client") is None:
        return "unix" in trusted_proxies
    peer = _parse_address(scope["client"][0])
    return peer is not None and _is_trusted(peer, trusted_proxies)


def _forwarded_for(scope: Scope) -> list[str]:
    """Every X-Forwarded-For entry, left to right, several header lines read as one joined by commas."""
    values = [value.decode("latin-1") for name, value in scope["headers"] if name == b"x-forwarded-for"]
    if not values:
        return []
    return [entry.strip() for entry in ",".join(values).split(",")]


# Cached: parsing an address costs more than the rest of a vote's address hashing, and the
# same readers and proxies come back.
@functools.lru_cache(maxsize=16_384)
def _parse_address(text: str) -> IPv4Address | IPv6Address | None:
    """An address without its port, an IPv4-mapped IPv6 address as plain IPv4; None when it is not one."""
    match = HOST_AND_PORT.fullmatch(text)
    host = text if match is None else match["bracketed"] or match["ipv4"] or ""
    try:
        address = ip_address(host)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: IPv4Address | IPv6Address, trusted_proxies: Sequence[TrustedProxy]) -> bool:
    return any(network != "unix" and address in network for network in trusted_proxies)
