"""The archive as one object: the connection, and a part per table or concept."""

from __future__ import annotations

from types import TracebackType

from feedback.archive.articles import Articles
from feedback.archive.audit import AuditLog
from feedback.archive.bulk import BulkWrites
from feedback.archive.comments import Comments
from feedback.archive.connection import Database
from feedback.archive.exports import Exports
from feedback.archive.flush import FlushLog
from feedback.archive.logins import LoginFailures
from feedback.archive.reports import ArticleList, Reports
from feedback.archive.sessions import Sessions
from feedback.archive.sites import Sites
from feedback.archive.snapshots import Snapshots
from feedback.archive.stale import StaleArticles
from feedback.archive.suspects import Suspects
from feedback.archive.trends import Trends
from feedback.archive.users import Users
from feedback.archive.votes import Votes


class Archive:
    def __init__(self, database: Database) -> None:
        self._database = database
        self.sites = Sites(database)
        self.votes = Votes(database)
        self.comments = Comments(database)
        self.articles = Articles(database)
        self.flush = FlushLog(database)
        self.stale = StaleArticles(database)
        self.snapshots = Snapshots(database)
        self.users = Users(database)
        self.sessions = Sessions(database)
        self.login_failures = LoginFailures(database)
        self.audit = AuditLog(database)
        self.reports = Reports(database)
        self.article_list = ArticleList(database)
        self.trends = Trends(database)
        self.exports = Exports(database)
        self.suspects = Suspects(database)
        self.bulk = BulkWrites(database)

    @classmethod
    async def open(cls, path: str) -> Archive:
        """Open (creating file and schema when missing) the archive at `path`."""
        return cls(await Database.open(path))

    async def close(self) -> None:
        await self._database.close()

    async def __aenter__(self) -> Archive:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
