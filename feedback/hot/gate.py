"""Whether to try Redis now: after a call finds Redis unavailable, requests go straight to
SQLite for a moment instead of each waiting for its own timeout."""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from feedback.hot.connection import REDIS_UNAVAILABLE

log = logging.getLogger(__name__)

# After a failed Redis call, how long requests go straight to SQLite before trying Redis again.
_RETRY_SECONDS = 1.0

P = ParamSpec("P")
T = TypeVar("T")


class RedisDown(enum.Enum):
    """What the gate answers instead of running a call (and what the services take when no Redis
    is configured): Redis is unavailable, use SQLite."""

    UNAVAILABLE = "redis down"


REDIS_DOWN = RedisDown.UNAVAILABLE


class RedisGate:
    def __init__(self) -> None:
        self._retry_at = 0.0
        self._down = False

    async def call(self, operation: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs) -> T | RedisDown:
        """`operation(*args)`, unless Redis is known down or the call finds it so: then REDIS_DOWN."""
        if time.monotonic() < self._retry_at:
            return REDIS_DOWN
        try:
            result = await operation(*args, **kwargs)
        except REDIS_UNAVAILABLE as error:
            self._retry_at = time.monotonic() + _RETRY_SECONDS
            if not self._down:
                log.warning(
                    "Redis is unreachable (%s): votes and comments go straight to SQLite, without rate limits, "
                    "until it answers",
                    error,
                )
                self._down = True
            return REDIS_DOWN
        except Exception:
            self._answered()  # a failure of the request's own (an article busy, say): Redis answered
            raise
        self._answered()
        return result

    def _answered(self) -> None:
        if self._down:
            log.warning("Redis answers again: requests go through Redis")
            self._down = False
