"""Figures for the dashboard, read from the archive (as of the last flush)."""

from __future__ import annotations

from dataclasses import dataclass

from feedback.archive.comments import APPROVED
from feedback.archive.connection import Database


@dataclass(frozen=True)
class SiteFigures:
    site: str
    votes: int
    average: float | None
    articles: int
    comments_by_status: dict[str, int]


class Reports:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def site_figures(self, site: str) -> SiteFigures:
        rows = await self._database.fetch(
            "SELECT 'votes', count(*), avg(score), count(DISTINCT article) FROM votes "
            "WHERE site = ? AND score IS NOT NULL AND NOT suspect "
            "UNION ALL SELECT status, count(*), NULL, NULL FROM comments WHERE site = ? GROUP BY status",
            (site, site),
        )
        (_, votes, average, articles), *statuses = rows
        return SiteFigures(site, votes, average, articles, {status: count for status, count, _, _ in statuses})


@dataclass(frozen=True)
class ArticleRow:
    article: str
    title: str | None
    url: str | None
    histogram: tuple[int, int, int, int, int]
    votes: int
    average: float | None
    ranked: float
    """The Bayesian average: the mean pulled towards the site's by `PRIOR_VOTES` imagined votes."""
    comments: int
    last_activity_ms: int


PRIOR_VOTES = 10
"""How many votes at the site's mean every article is ranked as if it had besides its own: one
5-star vote does not top a list of articles with hundreds."""

ARTICLE_ORDER = {
    "ranked": "ranked DESC, votes DESC",
    "votes": "votes DESC, ranked DESC",
    "average": "average DESC NULLS LAST, votes DESC",
    "comments": "comments DESC, ranked DESC",
    "last": "last_activity DESC",
    "title": "coalesce(title, article) COLLATE NOCASE",
}


class ArticleList:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def page(self, site: str, search: str, order: str, limit: int, offset: int) -> tuple[list[ArticleRow], int]:
        """One page of a site's rated articles, and how many match in all. `search` matches the
        title or the id (as a substring, ignoring case); `order` is a key of ARTICLE_ORDER."""
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = await self._database.fetch(
            "WITH counted AS (SELECT article, score, updated_at FROM votes "
            "WHERE site = ? AND score IS NOT NULL AND NOT suspect), "
            "mean AS (SELECT coalesce(avg(score), 3.0) AS m FROM counted), "
            "per_article AS (SELECT article, count(*) AS votes, avg(score) AS average, sum(score) AS total, "
            "sum(score = 1) AS s1, sum(score = 2) AS s2, sum(score = 3) AS s3, sum(score = 4) AS s4, "
            "sum(score = 5) AS s5, max(updated_at) AS last_activity FROM counted GROUP BY article) "
            "SELECT p.article, a.title, a.url, s1, s2, s3, s4, s5, votes, average, "
            f"({PRIOR_VOTES} * mean.m + total) / ({PRIOR_VOTES} + votes) AS ranked, "
            "(SELECT count(*) FROM comments AS c "
            f"WHERE c.site = ? AND c.article = p.article AND {APPROVED}) AS comments, "
            "last_activity, count(*) OVER () AS matching "
            "FROM per_article AS p CROSS JOIN mean LEFT JOIN articles AS a ON a.site = ? AND a.article = p.article "
            "WHERE p.article LIKE ? ESCAPE '\\' OR a.title LIKE ? ESCAPE '\\' "
            f"ORDER BY {ARTICLE_ORDER[order]}, p.article LIMIT ? OFFSET ?",
            (site, site, site, pattern, pattern, limit, offset),
        )
        articles = [
            ArticleRow(article, title, url, (s1, s2, s3, s4, s5), votes, average, ranked, comments, last)
            for article, title, url, s1, s2, s3, s4, s5, votes, average, ranked, comments, last, _ in rows
        ]
        return articles, rows[0][-1] if rows else 0
