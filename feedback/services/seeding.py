"""Seeding an archive with made-up readers' verdicts, shaped like a news site's: a few articles
draw most votes, readers sometimes change or withdraw theirs, and comments wait in every
status. For measuring the dashboard on an archive of realistic size (docs/performance.md)."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from feedback.archive import Archive
from feedback.local_days import DAY_MS
from feedback.models import ArticleAbout, ArticleInfo, Comment, CommentStatus, Scale, VoteChange, VoteEvent
from feedback.services.sites import SiteAdmin, SiteChanges

CHUNK_EVENTS = 10_000
"""Events per transaction: big enough that a commit's cost hardly counts (docs/performance.md)."""
# Popularity falls as a power of an article's rank (Zipf): with 50,000 articles, the first has
# about 9% of the votes and half of them go to the top 170.
_ZIPF_EXPONENT = 1.0
_CHANGED = 0.08
"""Of the votes, how many are a reader changing their earlier vote on the article..."""
_WITHDRAWN = 0.02
"""...and how many withdrawing it."""
_SUSPECT = 0.005
_CLUSTERS = 200
"""Addresses the suspect votes come from: several readers share each."""
_UNTITLED = 0.05
_COMMENT_STATUSES: tuple[tuple[CommentStatus, float], ...] = (
    ("approved", 0.6), ("pending", 0.15), ("rejected", 0.1), ("spam", 0.15),
)  # fmt: skip
_TITLE_WORDS = (
    ("Giá", "xăng", "tăng", "lần", "thứ", "ba", "trong", "tháng", "Hà Nội", "mưa", "lớn", "ngập", "phố",
     "học sinh", "thi", "tốt nghiệp", "bóng đá", "Việt Nam", "thắng", "đội tuyển", "kinh tế", "tăng trưởng"),
    ("Markets", "rally", "as", "rates", "fall", "city", "opens", "new", "metro", "line", "storm", "season",
     "begins", "early", "exports", "climb", "schools", "reopen", "after", "floods", "review", "the", "week"),
)  # fmt: skip
_COMMENT_BODIES = (
    "Bài viết rất hay, cảm ơn tác giả!", "Thông tin hữu ích, mong có thêm bài như thế này.",
    "Tôi không đồng ý với quan điểm này.", "Số liệu ở đoạn thứ hai có vẻ chưa chính xác.",
    "Great read, thanks.", "This misses the main point.", "Could you cite the source for the figures?",
    "Mua ngay hôm nay, giảm giá 90%!!!", "Well researched and clearly written.",
)  # fmt: skip


@dataclass(frozen=True)
class SeedPlan:
    site: str
    events: int
    articles: int
    days: int
    comments: int
    random_seed: int = 14


@dataclass(frozen=True)
class _Article:
    id: str
    about: ArticleAbout
    quality: float
    """The mean score its readers lean towards."""


class Seeder:
    def __init__(self, archive: Archive) -> None:
        self._archive = archive

    async def seed(self, plan: SeedPlan, now_ms: int, progress: Callable[[int], None] = lambda _: None) -> None:
        """Create the site when missing, then write the plan's votes and comments over its last
        days, oldest first, in chunks; `progress` hears how many events are written so far."""
        site = await SiteAdmin(self._archive).get(plan.site)
        if site is None:
            origins = [f"https://{plan.site}.example"]
            site = await SiteAdmin(self._archive).save(plan.site, SiteChanges(origins=origins))
        rng = random.Random(plan.random_seed)
        articles = [_article(rng, plan.site, origin=site.origins[0], number=n) for n in range(plan.articles)]
        start_ms = now_ms - plan.days * DAY_MS
        infos = [ArticleInfo(plan.site, a.id, a.about, start_ms) for a in articles if a.about.title is not None]
        votes = _votes(rng, plan, site.scale, articles, start_ms, now_ms)
        comments = _comments(rng, plan, articles, start_ms, now_ms)
        written = 0
        while True:
            chunk = list(itertools.islice(votes, CHUNK_EVENTS))
            until_ms = chunk[-1].at_ms if len(chunk) == CHUNK_EVENTS else now_ms
            await self._archive.bulk.apply(chunk, _until(comments, until_ms), infos)
            infos = []
            written += len(chunk)
            progress(written)
            if len(chunk) < CHUNK_EVENTS:
                return


def _article(rng: random.Random, site: str, origin: str, number: int) -> _Article:
    article = f"{site}-{number:06d}"
    if rng.random() < _UNTITLED:
        return _Article(article, ArticleAbout(None, None), rng.uniform(1.5, 4.8))
    words = rng.choice(_TITLE_WORDS)
    title = " ".join(rng.sample(words, rng.randint(4, 9))).capitalize()
    return _Article(article, ArticleAbout(title, f"{origin}/news/{article}"), rng.uniform(1.5, 4.8))


def _votes(
    rng: random.Random, plan: SeedPlan, scale: Scale, articles: list[_Article], start_ms: int, end_ms: int
) -> Iterator[VoteEvent]:
    """The plan's vote events in time order, each newer than the last (its version too)."""
    weights = list(itertools.accumulate(1 / rank**_ZIPF_EXPONENT for rank in range(1, len(articles) + 1)))
    popular = rng.sample(articles, len(articles))  # who is popular has nothing to do with the id
    chosen = rng.choices(popular, cum_weights=weights, k=plan.events)
    times = sorted(rng.randrange(start_ms, end_ms) for _ in range(plan.events))
    # A reader's vote is suspect from their first to their last change, as the cap marks it.
    voters: dict[str, list[tuple[str, bool]]] = {}
    for number, (article, at_ms) in enumerate(zip(chosen, times, strict=True)):
        earlier = voters.setdefault(article.id, [])
        draw = rng.random()
        cluster = None
        if earlier and draw < _CHANGED + _WITHDRAWN:
            reader, suspect = rng.choice(earlier)
            score = None if draw < _WITHDRAWN else _score(rng, article.quality, scale)
        else:
            reader, suspect = f"seed-reader-{number:09d}", rng.random() < _SUSPECT
            earlier.append((reader, suspect))
            score = _score(rng, article.quality, scale)
            if suspect:  # the label of the address that made it suspect, on that event only
                cluster = f"{rng.randrange(_CLUSTERS):010x}"
        change = VoteChange(plan.site, article.id, reader, score, suspect=suspect)
        yield VoteEvent(change, version=at_ms * 1_000_000 + number % 1_000_000, at_ms=at_ms, cluster=cluster)


def _score(rng: random.Random, quality: float, scale: Scale) -> int:
    if scale == "helpful":
        return 5 if rng.random() < (quality - 1) / 4 else 1
    return min(5, max(1, round(rng.gauss(quality, 1.0))))


def _comments(
    rng: random.Random, plan: SeedPlan, articles: list[_Article], start_ms: int, end_ms: int
) -> Iterator[Comment]:
    """The plan's comments in time order, on articles as skewed as the votes."""
    weights = list(itertools.accumulate(1 / rank**_ZIPF_EXPONENT for rank in range(1, len(articles) + 1)))
    statuses, shares = zip(*_COMMENT_STATUSES, strict=True)
    chosen = rng.choices(articles, cum_weights=weights, k=plan.comments)
    times = sorted(rng.randrange(start_ms, end_ms) for _ in range(plan.comments))
    for number, (article, at_ms) in enumerate(zip(chosen, times, strict=True)):
        comment_id = f"{at_ms:012x}{number % 0x1_0000_0000:08x}"
        author = rng.choice((None, "Minh", "Lan", "Tuấn", "Alex", "Hương"))
        status = rng.choices(statuses, weights=shares)[0]
        reader = f"seed-commenter-{number:09d}"
        yield Comment(comment_id, plan.site, article.id, reader, author, rng.choice(_COMMENT_BODIES), status, at_ms)


def _until(comments: Iterator[Comment], until_ms: int) -> list[Comment]:
    """The next comments, up to the first one written at `until_ms` or later."""
    taken = []
    for comment in comments:
        taken.append(comment)
        if comment.created_at_ms >= until_ms:
            break
    return taken
