"""The plain values passed between the API, the Redis store and the SQLite archive.

The values built for every article of every request are slotted, not frozen, dataclasses:
a frozen one costs three times as much to build.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, Protocol, TypeVar

from feedback.local_days import DEFAULT_TIME_ZONE

Histogram = tuple[int, int, int, int, int]
"""Number of current votes for scores 1 to 5."""


Moderation = Literal["pre", "post"]
"""pre: a comment shows once an editor approves it; post: it shows at once, removable later."""

CommentStatus = Literal["pending", "approved", "rejected", "spam"]

Role = Literal["admin", "editor", "viewer"]
"""admin: every site, users, settings and the audit log; editor: read and moderate the sites
given; viewer: read them."""

Language = Literal["vi", "en"]

Scale = Literal["stars", "helpful"]
"""stars: 1 to 5; helpful: "Was this article helpful?", yes (5) or no (1)."""


@dataclass(frozen=True)
class Site:
    id: str
    origins: tuple[str, ...]
    moderation: Moderation = "pre"
    blocked_words: tuple[str, ...] = ()
    scale: Scale = "stars"
    time_zone: str = DEFAULT_TIME_ZONE
    """Where the site's days begin and end: its figures are per local day, its times shown there."""


@dataclass(slots=True)
class VoteChange:
    """One reader's new score for one article (None withdraws the vote).

    `address` is the day's hash of the client's address ('' when unknown), never stored;
    `suspect` marks a vote past its address's cap of readers, kept out of public summaries;
    `about` is what the page said of its article, when it said anything."""

    site: str
    article: str
    reader: str
    score: int | None
    address: str = ""
    suspect: bool = False
    about: ArticleAbout | None = None


@dataclass(frozen=True)
class User:
    """Someone who logs into the dashboard."""

    id: int
    email: str
    role: Role
    sites: tuple[str, ...]
    """The sites an editor or viewer is given (an admin has all)."""
    lang: Language | None
    """The dashboard's language; None: the browser's."""

    def may_read(self, site: str) -> bool:
        return self.role == "admin" or site in self.sites

    def may_moderate(self, site: str) -> bool:
        return self.role == "admin" or (self.role == "editor" and site in self.sites)


@dataclass(frozen=True)
class ArticleAbout:
    """What a page says of its article, sent with a vote or a comment: its title and address
    (None: not said). The archive keeps the latest per article, for editors."""

    title: str | None
    url: str | None


@dataclass(frozen=True)
class ArticleInfo:
    """The latest title and address of an article, and since when (unix ms)."""

    site: str
    article: str
    about: ArticleAbout
    at_ms: int


@dataclass(slots=True)
class ArticleRead:
    """A request for one article's summary (and, with `reader`, that reader's score)."""

    site: str
    article: str
    reader: str | None


@dataclass(slots=True)
class Summary:
    """What the public sees of one article (and, when asked, one reader's own score)."""

    site: str
    article: str
    histogram: Histogram
    comments: int
    """Approved comments."""
    reader_score: int | None = None


@dataclass(slots=True)
class VoteEvent:
    """A vote change with its place in time: `version` orders a reader's changes, newest wins.

    `cluster` labels the address that made a vote suspect, on the event of that decision only
    (see hot/packing.py): a short hash of the day's address hash, never the address."""

    change: VoteChange
    version: int
    at_ms: int
    cluster: str | None = None


@dataclass(slots=True)
class Comment:
    """A reader's comment: plain text, never interpreted as HTML."""

    id: str
    site: str
    article: str
    reader: str
    author: str | None
    body: str
    status: CommentStatus
    created_at_ms: int

    @property
    def created_at(self) -> str:
        """ISO 8601 in UTC to the second, as the API shows it: 2026-11-25T14:05:09Z."""
        moment = datetime.fromtimestamp(self.created_at_ms / 1000, UTC)
        return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class ArticleState:
    """Every current vote and the approved comments' count of one article, as the archive held
    them at one instant."""

    scores: dict[str, int]
    flush_epoch: str | None
    flush_last_id: str | None
    suspect_scores: dict[str, int] = field(default_factory=dict)
    comments: int = 0


@dataclass(frozen=True)
class ApprovedCount:
    """An article's approved comments in the archive, as of its shard's flush position."""

    approved: int
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
