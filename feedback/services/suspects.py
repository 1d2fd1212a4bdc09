"""Editors' review of suspect votes (those past the readers-per-address cap): listing them by
article and day with their address clusters, and accepting or discarding them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from feedback.archive import Archive, SuspectPage
from feedback.errors import UnknownSite

SuspectDecision = Literal["accept", "discard"]


class SuspectReview:
    def __init__(self, archive: Archive) -> None:
        self._archive = archive

    async def awaiting(self, site: str) -> int:
        """How many of the site's suspect votes await review (as of the last flush)."""
        return await self._archive.suspects.awaiting(site)

    async def page(self, site: str, page: int, per_page: int) -> SuspectPage:
        """A page (from 1) of the site's suspect votes awaiting review, newest day first, as of
        the last flush. Raises UnknownSite."""
        if await self._archive.sites.get(site) is None:
            raise UnknownSite(site)
        return await self._archive.suspects.page(site, per_page, (page - 1) * per_page)

    async def decide(
        self,
        site: str,
        decision: SuspectDecision,
        groups: Sequence[tuple[int, str]],
        clusters: Sequence[str],
        actor: str = "cli",
    ) -> int:
        """Accept or discard the site's suspect votes awaiting review of the `groups` (local day,
        article) and the `clusters` (labels); how many votes were decided. An accepted vote
        counts in the dashboard's figures at once and in public summaries after the next flush
        (which drops Redis's copy of its article). Audited."""
        groups, clusters = list(dict.fromkeys(groups)), list(dict.fromkeys(clusters))
        decided = await self._archive.suspects.decide(site, decision == "accept", groups, clusters)
        if decided.votes:
            await self._archive.audit.add(actor, f"suspects.{decision}", site, {
                "groups": [{"day": day, "article": article} for day, article in groups],
                "clusters": clusters, "votes": decided.votes, "articles": decided.articles,
            })  # fmt: skip
        return decided.votes
