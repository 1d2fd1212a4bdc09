"""The plain values passed between the API, the Redis store and the SQLite archive.

The values built for every article of every request are slotted, not frozen, dataclasses:
a frozen one costs three times as much to build.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, TypeVar

Histogram = tuple[int, int, int, int, int]
"""Number of current votes for scores 1 to 5."""


@dataclass(frozen=True)
class Site:
    id: str
    origins: tuple[str, ...]


@dataclass(slots=True)
class VoteChange:
    """One reader's new score for one article (None withdraws the vote)."""

    site: str
    article: str
    reader: str
    score: int | None


@dataclass(slots=True)
class ArticleRead:
    """A request for one article's summary (and, with `reader`, that reader's score)."""

    site: str
    article: str
    reader: str | None


@dataclass(slots=True)
class VoteEvent:
    """A vote change with its place in time: `version` orders a reader's changes, newest wins."""

    change: VoteChange
    version: int
    at_ms: int


@dataclass(frozen=True)
class ArticleState:
    """Every current vote of one article, as the archive held it at one instant."""

    scores: dict[str, int]
    flush_epoch: str | None
    flush_last_id: str | None


def version_from_parts(milliseconds: int, sequence: int) -> int:
    """Versions order vote changes: milliseconds first, then a sequence below 2**20 within one."""
    return (milliseconds << 20) | sequence


class OfArticle(Protocol):
    """Anything about one article of one site (a vote change, a read)."""

    @property
    def site(self) -> str: ...

    @property
    def article(self) -> str: ...


ArticleItem = TypeVar("ArticleItem", bound=OfArticle)
