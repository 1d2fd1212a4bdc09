"""The one place configuration is read: environment variables, parsed once at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


class SettingsError(ValueError):
    """An environment variable holds a value that cannot be used."""


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

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            redis_url=env.get("REDIS_URL", "redis://127.0.0.1:6379/0").strip(),
            database_path=env.get("FEEDBACK_DB", "feedback.sqlite3"),
            flush_seconds=_positive_float(env, "FEEDBACK_FLUSH_SECONDS", 2.0),
            secret=env.get("FEEDBACK_SECRET", ""),
            idle_article_seconds=_positive_float(env, "FEEDBACK_IDLE_ARTICLE_SECONDS", 600.0),
            flush_lease_seconds=_positive_float(env, "FEEDBACK_FLUSH_LEASE_SECONDS", 10.0),
            redis_shards=_positive_int(env, "FEEDBACK_REDIS_SHARDS", 1),
            flusher_in_server=_on_off(env, "FEEDBACK_FLUSHER", True),
        )


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


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise SettingsError(f"{name} must be a whole number of at least 1, got {raw!r}")
    return int(raw)


def _on_off(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in ("on", "off"):
        raise SettingsError(f"{name} must be 'on' or 'off', got {raw!r}")
    return raw == "on"
