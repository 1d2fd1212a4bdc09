"""Figures for the dashboard, read from the archive (as of the last flush): from each article's
totals (`article_votes`) and each site's days (`site_days`), which the flusher keeps, never by
grouping the `votes` table."""

from __future__ import annotations

from dataclasses import dataclass

from feedback.archive.comments import APPROVED
from feedback.archive.connection import Database
from feedback.models import Histogram

_VOTES = "(count_1 + count_2 + count_3 + count_4 + count_5)"
_POINTS = "(count_1 + 2 * count_2 + 3 * count_3 + 4 * count_4 + 5 * count_5)"
_DAY_VOTES = "(delta_1 + delta_2 + delta_3 + delta_4 + delta_5)"
_DAY_POINTS = "(delta_1 + 2 * delta_2 + 3 * delta_3 + 4 * delta_4 + 5 * delta_5)"


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
        # The site's votes are the changes of its days summed (a row a day, not one an article);
        # its rated articles are still counted from their totals, with a test cheaper than a sum.
        rows = await self._database.fetch(
            f"SELECT 'votes', sum({_DAY_VOTES}), 1.0 * sum({_DAY_POINTS}) / sum({_DAY_VOTES}), "
            "(SELECT count(*) FROM article_votes WHERE site = ?1 AND "
            "(count_1 OR count_2 OR count_3 OR count_4 OR count_5)) FROM site_days WHERE site = ?1 "
            "UNION ALL SELECT status, count(*), NULL, NULL FROM comments WHERE site = ?1 GROUP BY status",
            (site,),
        )
        (_, votes, average, articles), *statuses = rows
        return SiteFigures(site, votes or 0, average, articles, {status: count for status, count, _, _ in statuses})


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
    "title": "coalesce(a.title, r.article) COLLATE NOCASE",
}
_APPROVED_COUNT = f"(SELECT count(*) FROM comments AS c WHERE c.site = ? AND c.article = r.article AND {APPROVED})"


class ArticleList:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def page(self, site: str, search: str, order: str, limit: int, offset: int) -> tuple[list[ArticleRow], int]:
        """One page of a site's rated articles, and how many match in all. `search` matches the
        title or the id (as a substring, ignoring case); `order` is a key of ARTICLE_ORDER."""
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        # The page is a top-N of the site's totals (a count over the window of all matching rows
        # would make SQLite keep every row): titles are joined before the order only for a search
        # or the title order, approved comments counted before it only for the comments order;
        # the page's own rows get theirs afterwards, in the same snapshot.
        titled = bool(search) or order == "title"
        matching = (
            (" LEFT JOIN articles AS a ON a.site = r.site AND a.article = r.article" if titled else "")
            + f" WHERE r.site = ? AND {_VOTES} > 0"
            + (" AND (r.article LIKE ? ESCAPE '\\' OR a.title LIKE ? ESCAPE '\\')" if search else "")
        )
        parameters = (site, pattern, pattern) if search else (site,)
        async with self._database.snapshot() as connection:
            rows = await connection.execute_fetchall(
                f"WITH mean AS (SELECT coalesce(1.0 * sum({_POINTS}) / sum({_VOTES}), 3.0) AS m FROM article_votes "
                "WHERE site = ?) "
                f"SELECT r.article, count_1, count_2, count_3, count_4, count_5, {_VOTES} AS votes, "
                f"1.0 * {_POINTS} / {_VOTES} AS average, "
                f"({PRIOR_VOTES} * m + {_POINTS}) / ({PRIOR_VOTES} + {_VOTES}) AS ranked, last_at AS last_activity"
                + (f", {_APPROVED_COUNT} AS comments" if order == "comments" else "")
                + (", a.title" if titled else "")
                + f" FROM article_votes AS r CROSS JOIN mean{matching} "
                f"ORDER BY {ARTICLE_ORDER[order]}, r.article LIMIT ? OFFSET ?",
                (site, *((site,) if order == "comments" else ()), *parameters, limit, offset),
            )
            listed = [row[0] for row in rows]
            details = await connection.execute_fetchall(
                f"SELECT r.article, a.title, a.url, {_APPROVED_COUNT} FROM article_votes AS r "
                "LEFT JOIN articles AS a ON a.site = r.site AND a.article = r.article "
                f"WHERE r.site = ? AND r.article IN ({', '.join('?' * len(listed))})",
                (site, site, *listed),
            )
            counted = await connection.execute_fetchall(
                f"SELECT count(*) FROM article_votes AS r{matching}", parameters
            )
        about = {article: (title, url, comments) for article, title, url, comments in details}
        articles = [
            ArticleRow(
                article, *about[article][:2], (s1, s2, s3, s4, s5), votes, average, ranked, about[article][2], last
            )
            for article, s1, s2, s3, s4, s5, votes, average, ranked, last, *_ in rows
        ]
        return articles, next(iter(counted))[0]

    async def histogram(self, site: str, article: str) -> Histogram:
        """An article's counted votes by score, from its totals (not a count of its votes)."""
        rows = await self._database.fetch(
            "SELECT count_1, count_2, count_3, count_4, count_5 FROM article_votes WHERE site = ? AND article = ?",
            (site, article),
        )
        return (rows[0][0], rows[0][1], rows[0][2], rows[0][3], rows[0][4]) if rows else (0, 0, 0, 0, 0)
