"""One article as editors see it: what readers think of it now, how that moved day by day,
who changed their vote when (pseudonymously), and what readers wrote (as of the last flush)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from feedback.archive import Archive
from feedback.archive.trends import VoteChangeLogged
from feedback.local_days import date_of
from feedback.models import ArticleAbout, Comment, Histogram, Site
from feedback.services.moderation import CommentModeration

HISTORY_DAYS = 366
_SHOWN_DAYS = 7
"""At least this many days are shown, so that a chart of a new article has a time axis."""
_CHANGES = 50
_COMMENTS = 100


@dataclass(frozen=True)
class ArticleDay:
    day: date
    votes: int
    """Votes given that day."""
    average: float | None
    """The article's average at the end of that day, all its counted votes so far."""


@dataclass(frozen=True)
class ArticleReport:
    site: Site
    article: str
    about: ArticleAbout | None
    histogram: Histogram
    days: list[ArticleDay]
    """From its first day with votes (at most `HISTORY_DAYS` ago, at least a week) to today,
    every day; none when it has no votes."""
    changes: list[VoteChangeLogged]
    comments: list[Comment]
    """Every status, newest first, those still in Redis too."""


class ArticleReports:
    def __init__(self, archive: Archive, moderation: CommentModeration) -> None:
        self._archive = archive
        self._moderation = moderation

    async def report(self, site: Site, article: str, today: int, before_ms: int) -> ArticleReport:
        archive = self._archive
        histogram = await archive.article_list.histogram(site.id, article)
        days = await archive.trends.article_days(site.id, article, today - HISTORY_DAYS + 1, today)
        # The running histogram at each day's end: the one now, less the changes after that day.
        running = list(histogram)
        ends: dict[int, tuple[int, float | None]] = {}
        for day in reversed(days):
            votes = sum(running)
            points = sum(score * count for score, count in enumerate(running, start=1))
            ends[day.day] = (sum(day.given), points / votes if votes else None)
            running = [count - delta for count, delta in zip(running, day.deltas, strict=True)]
        shown: list[ArticleDay] = []
        if days:
            average: float | None = None
            for number in range(min(days[0].day, today - _SHOWN_DAYS + 1), max(days[-1].day, today) + 1):
                votes, average = ends.get(number, (0, average))
                shown.append(ArticleDay(date_of(number), votes, average))
        return ArticleReport(
            site=site,
            article=article,
            about=await archive.articles.about(site.id, article),
            histogram=histogram,
            days=shown,
            changes=await archive.trends.vote_history(site.id, article, before_ms, _CHANGES),
            comments=await self._moderation.comments(site.id, None, article, None, _COMMENTS),
        )
