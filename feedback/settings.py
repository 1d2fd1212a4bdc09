"""The one place configuration is read: environment variables, parsed once at start-up."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit


class SettingsError(ValueError):
    """An environment variable holds a value that cannot be used."""


PERIODS_MS = {"second": 1_000, "minute": 60_000, "hour": 3_600_000, "day": 86_400_000}
RATE = re.compile(r"([0-9]{1,9})\s*/\s*(second|minute|hour|day)")


@dataclass(frozen=True)
class Rate:
    """At most `count` requests per `period_ms` milliseconds."""

    count: int
    period_ms: int


LogFormat = Literal["json", "text"]

# Scrapers on this host only, unless FEEDBACK_METRICS_ALLOW says otherwise.
LOOPBACK = "127.0.0.0/8, ::1/128"

TrustedProxy = IPv4Network | IPv6Network | Literal["unix"]
"""A network of reverse proxies whose X-Forwarded-For is believed, or "unix": whatever connects
through the server's Unix socket."""


@dataclass(frozen=True)
class Settings:
    redis_url: str
    database_path: str
    flush_seconds: float
    secret: str
    idle_article_seconds: float
    flush_lease_seconds: float
    redis_shards: int
    flusher_in_server: bool
    vote_rate: Rate | None
    comment_rate: Rate | None
    readers_per_address: int | None
    trusted_proxies: tuple[TrustedProxy, ...]
    ready_max_lag_seconds: float
    metrics: bool
    metrics_allow: tuple[IPv4Network | IPv6Network, ...]
    """The networks `/metrics` answers (the client as seen through the trusted proxies)."""
    metrics_multiprocess_dir: str
    """Where the worker processes of one server keep their metrics for each other ('' = one process)."""
    log_format: LogFormat

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            redis_url=_redis_url(env, "REDIS_URL", "redis://127.0.0.1:6379/0"),
            database_path=env.get("FEEDBACK_DB", "feedback.sqlite3"),
            flush_seconds=_positive_float(env, "FEEDBACK_FLUSH_SECONDS", 2.0),
            secret=env.get("FEEDBACK_SECRET", "") or _secret_from_file(env, "FEEDBACK_SECRET_FILE"),
            idle_article_seconds=_positive_float(env, "FEEDBACK_IDLE_ARTICLE_SECONDS", 600.0),
            flush_lease_seconds=_positive_float(env, "FEEDBACK_FLUSH_LEASE_SECONDS", 10.0),
            redis_shards=_positive_int(env, "FEEDBACK_REDIS_SHARDS", 1),
            flusher_in_server=_on_off(env, "FEEDBACK_FLUSHER", True),
            vote_rate=_rate_or_off(env, "FEEDBACK_VOTE_RATE", "60/minute"),
            comment_rate=_rate_or_off(env, "FEEDBACK_COMMENT_RATE", "5/minute"),
            readers_per_address=_positive_int_or_off(env, "FEEDBACK_READERS_PER_ADDRESS", 30),
            trusted_proxies=_networks(env, "FEEDBACK_TRUSTED_PROXIES"),
            ready_max_lag_seconds=_positive_float(env, "FEEDBACK_READY_MAX_LAG_SECONDS", 30.0),
            metrics=_on_off(env, "FEEDBACK_METRICS", False),
            metrics_allow=_ip_networks(env, "FEEDBACK_METRICS_ALLOW", LOOPBACK),
            metrics_multiprocess_dir=_directory(env, "PROMETHEUS_MULTIPROC_DIR"),
            log_format=_log_format(env, "FEEDBACK_LOG_FORMAT"),
        )


def _secret_from_file(env: Mapping[str, str], name: str) -> str:
    """The secret kept in the file `name` names, generated there on first use; '' when unnamed.

    For containers (the Docker image names `/data/secret`): an operator who sets no secret gets
    one of their own, kept in the data volume beside the archive so that every later start, every
    worker and every CLI command uses the same one. Workers starting together may each generate
    one: each writes its own to a file of its own and links it into place, which only the first
    does, and all read what is there."""
    path = env.get(name, "").strip()
    if not path:
        return ""
    try:
        with contextlib.suppress(FileNotFoundError):
            return _read_secret(name, path)
        candidate = f"{path}.{secrets.token_hex(8)}"
        descriptor = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(32) + "\n")
            file.flush()
            os.fsync(file.fileno())
        try:
            with contextlib.suppress(FileExistsError):
                os.link(candidate, path)
        finally:
            os.unlink(candidate)
        return _read_secret(name, path)
    except OSError as error:
        raise SettingsError(f"{name}: cannot read or create the secret file {path!r}: {error.strerror}") from None


def _read_secret(name: str, path: str) -> str:
    with open(path) as file:
        secret = file.read().strip()
    if not secret:
        raise SettingsError(f"{name}: the secret file {path!r} is empty")
    return secret


def _positive_float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not value > 0:
        raise SettingsError(f"{name} must be greater than 0, got {raw!r}")
    return value


def _positive_int(env: Mapping[str, str], name: str, default: int, or_off: str = "") -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    # ASCII digits only, and few of them: int() refuses "²" and numbers of thousands of digits.
    if not re.fullmatch(r"[0-9]{1,9}", raw) or int(raw) < 1:
        raise SettingsError(f"{name} must be a whole number of at least 1{or_off}, got {raw!r}")
    return int(raw)


def _on_off(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in ("on", "off"):
        raise SettingsError(f"{name} must be 'on' or 'off', got {raw!r}")
    return raw == "on"


def _rate_or_off(env: Mapping[str, str], name: str, default: str) -> Rate | None:
    raw = env.get(name, "").strip() or default
    if raw.lower() == "off":
        return None
    match = RATE.fullmatch(raw.lower())
    if match is None or int(match[1]) < 1:
        raise SettingsError(f"{name} must be like 60/minute (count/second|minute|hour|day) or 'off', got {raw!r}")
    return Rate(count=int(match[1]), period_ms=PERIODS_MS[match[2]])


def _positive_int_or_off(env: Mapping[str, str], name: str, default: int) -> int | None:
    if env.get(name, "").strip().lower() == "off":
        return None
    return _positive_int(env, name, default, or_off=" or 'off'")


def _directory(env: Mapping[str, str], name: str) -> str:
    path = env.get(name, "").strip()
    if path and not os.path.isdir(path):
        raise SettingsError(f"{name} must name an existing directory, got {path!r}")
    return path


def _log_format(env: Mapping[str, str], name: str) -> LogFormat:
    """As named; by default text for a person at a terminal, JSON lines for a log collector."""
    raw = env.get(name, "").strip().lower()
    if not raw:
        return "text" if sys.stderr.isatty() else "json"
    if raw == "json":
        return "json"
    if raw == "text":
        return "text"
    raise SettingsError(f"{name} must be 'json' or 'text', got {raw!r}")


def _ip_networks(env: Mapping[str, str], name: str, default: str) -> tuple[IPv4Network | IPv6Network, ...]:
    """Comma-separated addresses or CIDR networks; `default` when empty."""
    networks = []
    for network in _networks({name: env.get(name, "").strip() or default}, name):
        if network == "unix":
            raise SettingsError(f"{name} must list IP addresses or networks (like 127.0.0.0/8, ::1/128), not 'unix'")
        networks.append(network)
    return tuple(networks)


def _networks(env: Mapping[str, str], name: str) -> tuple[TrustedProxy, ...]:
    """Comma-separated addresses or CIDR networks (an address is a network of one), or `unix`."""
    networks: list[TrustedProxy] = []
    for part in env.get(name, "").split(","):
        entry = part.strip()
        if not entry:
            continue
        if entry.lower() == "unix":
            networks.append("unix")
            continue
        try:
            networks.append(ip_network(entry, strict=False))
        except ValueError:
            raise SettingsError(
                f"{name} must list IP addresses or networks, or 'unix', separated by commas "
                "(like 127.0.0.1, 10.0.0.0/8, ::1); "
                f"{entry!r} is neither"
            ) from None
    return tuple(networks)


SENTINEL_PORT = 26379


@dataclass(frozen=True)
class SentinelUrl:
    """Redis found through its Sentinels:
    `redis+sentinel://[[user]:password@]host[:port][,host[:port]]/service[/db][?sentinel_username=&sentinel_password=]`
    (`rediss+sentinel://` for TLS to both). The password is Redis's; the Sentinels' comes apart,
    since Sentinels have their own `requirepass`."""

    sentinels: tuple[tuple[str, int], ...]
    service: str
    db: int
    username: str | None
    password: str | None
    sentinel_username: str | None
    sentinel_password: str | None
    tls: bool


def sentinel_url(url: str) -> SentinelUrl | None:
    """The parts of a Sentinel REDIS_URL; None for any other. Raises SettingsError for a malformed one."""
    scheme, separator, rest = url.partition("://")
    if scheme.lower() not in ("redis+sentinel", "rediss+sentinel"):
        return None
    problem = (
        "REDIS_URL must be like redis+sentinel://[[user]:password@]host[:port][,host[:port]]/service[/db], "
        f"got {redacted_url(url)!r}"
    )
    # urlsplit cannot take a list of hosts with ports: only the path and query are left to it.
    location, _, path_and_query = rest.partition("/")
    userinfo, at, hosts = location.rpartition("@")
    username, _, password = userinfo.partition(":")
    parts = urlsplit(f"x:/{path_and_query}")
    service, _, db = (unquote(name) for name in parts.path[1:].partition("/"))
    if not separator or not hosts or not service or not re.fullmatch(r"[0-9]{0,4}", db):
        raise SettingsError(problem)
    try:
        options = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError:
        raise SettingsError(problem) from None
    unknown = set(options) - {"sentinel_username", "sentinel_password"}
    if unknown or any(len(values) > 1 for values in options.values()):
        raise SettingsError(
            "REDIS_URL: a Sentinel URL takes the options sentinel_username and sentinel_password, once each; "
            f"got {redacted_url(url)!r}"
        )
    return SentinelUrl(
        sentinels=tuple(_sentinel_address(host, problem) for host in hosts.split(",")),
        service=service,
        db=int(db or 0),
        username=unquote(username) or None if at else None,
        password=unquote(password) or None if at else None,
        sentinel_username=options.get("sentinel_username", [""])[0] or None,
        sentinel_password=options.get("sentinel_password", [""])[0] or None,
        tls=scheme.lower() == "rediss+sentinel",
    )


def _sentinel_address(address: str, problem: str) -> tuple[str, int]:
    """`host`, `host:port`, `[ipv6]` or `[ipv6]:port`: a Sentinel's host and port."""
    match = re.fullmatch(r"(\[[0-9A-Fa-f:.]+\]|[^\[\]:/?#@\s]+)(?::([0-9]{1,5}))?", address.strip())
    if match is None or not 0 < int(match[2] or SENTINEL_PORT) < 65536:
        raise SettingsError(problem)
    return match[1].strip("[]"), int(match[2] or SENTINEL_PORT)


def _redis_url(env: Mapping[str, str], name: str, default: str) -> str:
    """A Redis URL redis-py takes (redis://, rediss://, unix://) or a Sentinel one; '' = no Redis."""
    url = env.get(name, default).strip()
    if not url or sentinel_url(url) is not None:
        return url
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018  # raises for a port that is not a number
    except ValueError:
        raise SettingsError(f"{name} has a port that is not a number: {redacted_url(url)!r}") from None
    if parts.scheme.lower() not in ("redis", "rediss", "unix") or not (parts.hostname or parts.path):
        raise SettingsError(
            f"{name} must be redis://host[:port][/db], rediss://..., unix:///path or "
            f"redis+sentinel://host[:port][,host[:port]]/service[/db], got {redacted_url(url)!r}"
        )
    return url


def redacted_url(url: str) -> str:
    """`url` without its passwords, for logs and error messages."""
    url = re.sub(r"(://[^:@/]*:)[^@/]*@", r"\1***@", url)
    return re.sub(r"(password=)[^&]*", r"\1***", url)
