"""The packed vote format: what Python sends vote.lua comes back from the stream unchanged."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest

from feedback import validation
from feedback.errors import InvalidInput
from feedback.hot import HotStore, Load, VoteLimits, VoteOutcome, connect
from feedback.models import ArticleState, VoteChange, VoteEvent
from feedback.settings import Settings
from tests.support import SITE

ARTICLE = "thời-sự/bài viết, số 1"
READER = "reader-0000000000000001"


async def test_a_vote_comes_back_from_the_stream_as_it_was_packed(settings: Settings) -> None:
    store = HotStore(connect(settings.redis_url))
    try:
        assert await store.articles.load(SITE, ARTICLE, ArticleState({}, None, None), "0") is Load.LOADED
        changes = [
            VoteChange(SITE, ARTICLE, READER, 4, address="0123456789abcdef"),
            VoteChange(SITE, ARTICLE, READER, None),  # withdrawn, the address unknown
        ]
        outcomes = await store.votes.apply(changes)
        assert all(isinstance(outcome, VoteOutcome) for outcome in outcomes)
        epoch = await store.streams.epoch(0)
        assert epoch is not None
        entries = await store.streams.pending(0, "0-0", 10)
    finally:
        await store.redis.aclose()
    events = [entry.event for entry in entries]
    assert all(isinstance(event, VoteEvent) for event in events)
    # The address is never stored: it travels to the script only.
    assert [event.change for event in events if isinstance(event, VoteEvent)] == [
        VoteChange(SITE, ARTICLE, READER, 4),
        VoteChange(SITE, ARTICLE, READER, None),
    ]


async def test_the_vote_made_suspect_carries_its_addresss_cluster_label_and_no_other_does(
    settings: Settings,
) -> None:
    address = "0123456789abcdef"
    store = HotStore(connect(settings.redis_url), vote_limits=VoteLimits(readers_per_address=1))
    try:
        assert await store.articles.load(SITE, ARTICLE, ArticleState({}, None, None), "0") is Load.LOADED
        await store.votes.apply([
            VoteChange(SITE, ARTICLE, READER, 4, address=address),  # counted: the first reader
            VoteChange(SITE, ARTICLE, "reader-0000000000000002", 2, address=address),  # past the cap
            VoteChange(SITE, ARTICLE, "reader-0000000000000002", 3, address=address),  # still suspect
        ])  # fmt: skip
        entries = await store.streams.pending(0, "0-0", 10)
    finally:
        await store.redis.aclose()
    events = [entry.event for entry in entries if isinstance(entry.event, VoteEvent)]
    assert [(event.change.score, event.change.suspect, event.cluster) for event in events] == [
        (4, False, None),
        (2, True, hashlib.sha1(address.encode()).hexdigest()[:10]),
        (3, True, None),
    ]


@pytest.mark.parametrize(
    ("check", "value"),
    [
        (validation.site_id, "vn\texpress"),
        (validation.reader_token, "reader-000000000\t0000001"),
        (validation.article_id, "bài\tviết"),
    ],
)
def test_no_field_of_a_packed_vote_can_hold_a_tab(check: Callable[[str], object], value: str) -> None:
    """The packed format separates its fields with tabs: validation keeps them out of each."""
    with pytest.raises(InvalidInput):
        check(value)
