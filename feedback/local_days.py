"""Days as a site's readers live them. A site's time zone turns a UTC instant into its local
calendar day, numbered from 1970-01-01 (day 0): the key of the per-day aggregates, and of every
date range the dashboard shows."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, available_timezones

DEFAULT_TIME_ZONE = "Asia/Ho_Chi_Minh"
DAY_MS = 86_400_000
# Every UTC offset in use, and every change of one, falls on a quarter hour.
_QUARTER_MS = 900_000
_EPOCH = date(1970, 1, 1).toordinal()


@functools.lru_cache(maxsize=65_536)
def _offset_ms(zone: str, quarter: int) -> int:
    offset = datetime.fromtimestamp(quarter * _QUARTER_MS / 1000, ZoneInfo(zone)).utcoffset()
    assert offset is not None
    return int(offset.total_seconds() * 1000)


def local_day(zone: str, at_ms: int) -> int:
    """The day (in `zone`) of the instant `at_ms` (unix ms). Registered in SQLite as `local_day`:
    the flusher calls it for every event, so it is cached by quarter hour."""
    return (at_ms + _offset_ms(zone, at_ms // _QUARTER_MS)) // DAY_MS


def day_of(value: date) -> int:
    return value.toordinal() - _EPOCH


def date_of(day: int) -> date:
    return date.fromordinal(day + _EPOCH)


def day_start_ms(zone: str, day: int) -> int:
    """The instant (unix ms) the local day `day` begins in `zone`."""
    return int(datetime.combine(date_of(day), time(), ZoneInfo(zone)).timestamp() * 1000)


def local_time(zone: str, at_ms: int) -> datetime:
    return datetime.fromtimestamp(at_ms / 1000, UTC).astimezone(ZoneInfo(zone))


@functools.cache
def time_zones() -> frozenset[str]:
    """The IANA time zone names this machine knows (the tzdata package ships them everywhere)."""
    return frozenset(available_timezones())
