"""Client addresses, never stored: rate limits and the readers-per-address cap see only a keyed
hash of them.

The key mixes FEEDBACK_SECRET with a random salt made for each UTC day. The salt lives in Redis
(every worker and host shares it) and expires when its day is over, so a day's hashes cannot be
linked to another day's, nor, once the salt is gone, to an address — the approach of
privacy-first web analytics such as Plausible.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network

from redis.asyncio import Redis
from starlette.types import Scope

from feedback.clients import client_address
from feedback.store import REDIS_UNAVAILABLE

_DAY_SECONDS = 86_400
# A salt outlives its day by this much, for hosts whose clocks are a little behind.
_SALT_GRACE_SECONDS = 600


class AddressHasher:
    def __init__(
        self, redis: Redis | None, secret: str, trusted_proxies: Sequence[IPv4Network | IPv6Network], enabled: bool
    ) -> None:
        self._redis = redis if enabled else None
        self._secret = secret.encode()
        self._trusted_proxies = trusted_proxies
        self._day = -1
        self._key = b""

    async def of_request(self, scope: Scope, site: str) -> str:
        """The day's hash of the request's client address for `site`; '' when no limit needs it,
        the address is unknown, or Redis (which keeps the salt) is unreachable."""
        if self._redis is None:
            return ""
        address = client_address(scope, self._trusted_proxies)
        if address is None:
            return ""
        key = await self._day_key()
        if key is None:
            return ""
        return hashlib.blake2b(f"{site}\0{address}".encode(), key=key, digest_size=8).hexdigest()

    async def _day_key(self) -> bytes | None:
        assert self._redis is not None
        now = time.time()
        day = int(now // _DAY_SECONDS)
        if day != self._day:
            salt_key = f"feedback:salt:{day}"
            expires_in = (day + 1) * _DAY_SECONDS - int(now) + _SALT_GRACE_SECONDS
            try:
                await self._redis.set(salt_key, secrets.token_hex(32), nx=True, ex=expires_in)
                salt = await self._redis.get(salt_key)
            except REDIS_UNAVAILABLE:
                return None
            if salt is None:  # expired between the two calls: only just after the grace period
                return None
            self._key = hashlib.blake2b(self._secret + b"\0" + str(salt).encode(), digest_size=32).digest()
            self._day = day
        return self._key
