"""Talking to Redis: the client, the request path's own connections, and the Lua scripts."""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from typing import Any

import hiredis
from redis._parsers import _AsyncHiredisParser
from redis.asyncio import Connection, ConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import (
    Sentinel,
    SentinelConnectionPool,
    SentinelManagedConnection,
    SentinelManagedSSLConnection,
)
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, OutOfMemoryError, ReadOnlyError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.typing import EncodableT

from feedback.settings import SentinelUrl, sentinel_url


class NoReplicasError(ResponseError):
    """A primary with `min-replicas-to-write` that has too few replicas in touch: it refuses writes
    (its scripts fail at their first, changing nothing), as an old primary cut off from the others
    by a partition does once `min-replicas-max-lag` has passed."""


REDIS_UNAVAILABLE = (
    RedisConnectionError,
    RedisTimeoutError,
    OSError,
    OutOfMemoryError,
    ReadOnlyError,
    NoReplicasError,
)
"""What a Redis call raises when Redis cannot take votes now: unreachable, still loading its data,
full (its scripts fail at their first write, before changing anything), a replica after a
failover, or a primary without its replicas. Through Sentinel, no primary known
(`MasterNotFoundError` is a `ConnectionError`) and an old primary demoted to a replica (redis-py's
Sentinel connection turns its `READONLY` into a `ConnectionError`, and asks the Sentinels again on
its next connect) are among them."""


class _Parser(_AsyncHiredisParser):
    """redis-py's parser, with NOREPLICAS errors (which it leaves plain `ResponseError`s) told apart."""

    EXCEPTION_CLASSES = {  # noqa: RUF012  # redis-py's parsers read it from the class
        **_AsyncHiredisParser.EXCEPTION_CLASSES,
        "NOREPLICAS": NoReplicasError,
    }


# A Sentinel that does not answer is skipped for the next: each gets less time than Redis.
_SENTINEL_TIMEOUT_SECONDS = 0.5


def _pack_with_hiredis(args: tuple[EncodableT, ...]) -> list[bytes]:
    """redis-py's asyncio connection packs commands in Python (its sync one uses hiredis):
    hiredis packs them in C (docs/performance.md)."""
    if isinstance(args[0], str):  # a command name may be two words: "SCRIPT LOAD"
        args = (*args[0].encode().split(), *args[1:])
    packed: bytes = hiredis.pack_command(args)  # type: ignore[arg-type]  # never a bytearray here
    return [packed]


class _HiredisPackingConnection(Connection):
    def pack_command(self, *args: EncodableT) -> list[bytes]:
        return _pack_with_hiredis(args)


class _HiredisPackingSentinelConnection(SentinelManagedConnection):
    def pack_command(self, *args: EncodableT) -> list[bytes]:
        return _pack_with_hiredis(args)


class _HiredisPackingSentinelTLSConnection(SentinelManagedSSLConnection):
    def pack_command(self, *args: EncodableT) -> list[bytes]:
        return _pack_with_hiredis(args)


class _SentinelPool(SentinelConnectionPool):
    """The primary's connections, which ask the Sentinels for its address each time they connect
    (so after a failover, every connection the old primary dropped reconnects to the new one).
    Closing it closes the connections to the Sentinels too."""

    async def aclose(self) -> None:
        await super().aclose()
        await self.sentinel_manager.aclose()


def connect(url: str) -> Redis:
    """A client that fails fast, so the API falls back to SQLite instead of hanging; `url` is any
    REDIS_URL the settings take, a Sentinel one included."""
    # No retries: a script call that timed out may have run, and running it again would log
    # its vote changes twice. A failed call sends its requests to SQLite instead.
    retry = Retry(NoBackoff(), 0)
    options: dict[str, Any] = {
        "decode_responses": True,
        "socket_timeout": 2.0,
        "socket_connect_timeout": 1.0,
        "parser_class": _Parser,
    }
    sentinel = sentinel_url(url)
    pool = (
        ConnectionPool.from_url(url, connection_class=_HiredisPackingConnection, retry=retry, **options)
        if sentinel is None
        else _sentinel_pool(sentinel, retry, options)
    )
    client = Redis(connection_pool=pool, retry=retry)
    # The client owns its pool: closing it closes every connection, the request path's own too.
    client.auto_close_connection_pool = True
    return client


def _sentinel_pool(sentinel: SentinelUrl, retry: Retry, options: dict[str, Any]) -> _SentinelPool:
    sentinels = Sentinel(  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
        sentinel.sentinels,
        sentinel_kwargs={
            "username": sentinel.sentinel_username,
            "password": sentinel.sentinel_password,
            "ssl": sentinel.tls,
            "socket_timeout": _SENTINEL_TIMEOUT_SECONDS,
            "socket_connect_timeout": _SENTINEL_TIMEOUT_SECONDS,
            # Asking a Sentinel changes nothing: the next one is tried instead of the same again.
            "retry": retry,
        },
    )
    return _SentinelPool(  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
        sentinel.service,
        sentinels,
        connection_class=_HiredisPackingSentinelTLSConnection if sentinel.tls else _HiredisPackingSentinelConnection,
        db=sentinel.db,
        username=sentinel.username,
        password=sentinel.password,
        retry=retry,
        **options,
    )


def register_script(redis: Redis, name: str) -> AsyncScript:
    """The script `lua/<name>.lua`, with the helpers of `lua/common.lua` before it."""
    folder = resources.files(__package__) / "lua"
    return redis.register_script((folder / "common.lua").read_text() + (folder / f"{name}.lua").read_text())


class ScriptLines:
    """Script calls through connections of their own: the request path's batches.

    redis-py's client takes every call through its pool, retry and telemetry layers
    (docs/performance.md); the coalescers keep only a few batches in flight, so as many
    connections of their own serve them without those layers. They are taken from the client's
    pool when all are busy and never given back, so that closing the client closes them. Like
    the client's pool, a connection the server closed (a restart, an idle timeout) is opened
    again before use, and one whose call failed without a reply was dropped by redis-py (a late
    reply must not answer the next call)."""

    def __init__(self, redis: Redis) -> None:
        self._pool = redis.connection_pool
        self._idle: list[Connection] = []

    async def run(self, script: AsyncScript, keys: Sequence[str | bytes], args: Sequence[Any]) -> Any:
        if self._idle:
            connection = self._idle.pop()
        else:
            connection = await self._pool.get_connection()  # type: ignore[no-untyped-call]
        try:
            # Closed by the server, or holding bytes no call asked for: start afresh (no system
            # call: hiredis looks at what the event loop has read already).
            if connection.is_connected and await connection.can_read():
                await connection.disconnect()
            if not connection.is_connected:
                # Not left to sending, which reconnects to the last address: a Sentinel-managed
                # connection asks the Sentinels where the primary is in connect() only.
                await connection.connect()  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
            return await _run_script(connection, script, keys, args)
        finally:
            self._idle.append(connection)


async def _run_script(
    connection: Connection, script: AsyncScript, keys: Sequence[str | bytes], args: Sequence[Any]
) -> Any:
    async def call(command: str, script_text: EncodableT) -> Any:
        await connection.send_packed_command(
            connection.pack_command(command, script_text, len(keys), *keys, *args), check_health=False
        )
        return await connection.read_response()

    try:
        return await call("EVALSHA", script.sha)
    except NoScriptError:  # a restarted Redis, whose script cache is empty
        return await call("EVAL", script.script)
