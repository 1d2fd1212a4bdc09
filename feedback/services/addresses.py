"""Client addresses, never stored: rate limits and the readers-per-address cap see only a keyed
hash of them.

The key mixes FEEDBACK_SECRET with a random salt made for each UTC day. The salt lives in Redis
(every worker and host shares it) and expires when its day is over, so a day's hashes cannot be
linked to another day's, nor, once the salt is gone, to an address — the approach of
privacy-first web analytics such as Plausible. Redis's data files may keep an expired salt
until they are rewritten: the secret is what keeps those from reversing the hashes.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import time
from ipaddress import IPv6Address, ip_address, ip_network

from feedback.hot import REDIS_DOWN
from feedback.services.hot_requests import RedisFirst

log = logging.getLogger(__name__)

_DAY_SECONDS = 86_400
# A salt outlives its day by this much, for hosts whose clocks are a little behind.
_SALT_GRACE_SECONDS = 600
# One IPv6 customer gets a whole /64 and may use any address in it.
_IPV6_PREFIX = 64


class AddressHasher:
    def __init__(self, *, hot: RedisFirst, secret: str, enabled: bool) -> None:
        self._hot = hot
        self._secret = secret.encode()
        self.enabled = enabled  # whether any limit needs addresses: when not, none is worth finding
        self._day = -1
        self._key = b""
        self._warned_unknown = False

    async def hash(self, address: str | None, site: str) -> str:
        """The day's hash of the client network of `address` for `site`; '' when no limit needs
        it, the address is unknown, or Redis (which keeps the salt) is unreachable."""
        if not self.enabled:
            return ""
        if address is None:
            if not self._warned_unknown:
                log.warning(
                    "a client's address is unknown (a Unix socket?): per-address limits do not apply to it; "
                    "behind a proxy on a Unix socket, add 'unix' to FEEDBACK_TRUSTED_PROXIES"
                )
                self._warned_unknown = True
            return ""
        key = await self._day_key()
        if key is None:
            return ""
        return hashlib.blake2b(f"{site}\0{_network(address)}".encode(), key=key, digest_size=8).hexdigest()

    async def _day_key(self) -> bytes | None:
        now = time.time()
        day = int(now // _DAY_SECONDS)
        if day != self._day:
            expires_at = (day + 1) * _DAY_SECONDS + _SALT_GRACE_SECONDS
            salt = await self._hot.day_salt(day, expires_at)
            if salt is REDIS_DOWN:
                return None
            self._key = hashlib.blake2b(self._secret + b"\0" + salt.encode(), digest_size=32).digest()
            self._day = day
        return self._key


@functools.lru_cache(maxsize=16_384)  # the same readers come back (docs/performance.md)
def _network(address: str) -> str:
    """An IPv6 address stands for its /64: one line's addresses are one client."""
    try:
        parsed = ip_address(address)
    except ValueError:
        return address  # a peer that is not an IP address, such as a test client's name
    if isinstance(parsed, IPv6Address):
        return str(ip_network((parsed, _IPV6_PREFIX), strict=False))
    return address
