"""A site's overview for a run of its local days: votes and their average against the as many
days before, each day's figures, the scores given, the articles rated best and worst, those that
moved most, and those most discussed (as of the last flush)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from feedback.archive import Archive
from feedback.archive.trends import DayOfVotes, Discussed, Mover, RankedArticle
from feedback.errors import InvalidInput
from feedback.local_days import date_of, day_of, day_start_ms, local_day
from feedback.models import Histogram, Site

MAX_DAYS = 366
_LISTED = 5


@dataclass(frozen=True)
class Period:
    first_day: int
    last_day: int
    """Both included: the site's local days (feedback/local_days.py)."""

    @property
    def days(self) -> int:
        return self.last_day - self.first_day + 1

    @property
    def previous(self) -> Period:
        return Period(self.first_day - self.days, self.first_day - 1)

    @property
    def dates(self) -> tuple[date, date]:
        return date_of(self.first_day), date_of(self.last_day)


def last_days(site: Site, days: int, now_ms: int) -> Period:
    """The `days` local days of the site ending today."""
    today = local_day(site.time_zone, now_ms)
    return Period(today - days + 1, today)


def between(first: date, last: date) -> Period:
    """The days from `first` to `last`, both included. Raises InvalidInput."""
    if last < first:
        raise InvalidInput("invalid_range", "The first day of a range must not come after its last.")
    if (last - first).days >= MAX_DAYS:
        raise InvalidInput("invalid_range", f"A range is at most {MAX_DAYS} days.")
    return Period(day_of(first), day_of(last))


@dataclass(frozen=True)
class DayFigures:
    day: date
    votes: int
    average: float | None


@dataclass(frozen=True)
class Totals:
    votes: int
    average: float | None
    given: Histogram


@dataclass(frozen=True)
class Overview:
    site: Site
    period: Period
    days: list[DayFigures]
    """Every day of the period, those without votes too."""
    now: Totals
    before: Totals
    """The as many days before the period."""
    comments: dict[str, int]
    """Written in the period, by their status now."""
    best: list[RankedArticle]
    worst: list[RankedArticle]
    movers: list[Mover]
    discussed: list[Discussed]


class SiteOverview:
    def __init__(self, archive: Archive) -> None:
        self._archive = archive

    async def overview(self, site: Site, period: Period) -> Overview:
        trends = self._archive.trends
        days = await trends.site_days(site.id, period.previous.first_day, period.last_day)
        by_day = {day.day: day for day in days if day.day >= period.first_day}
        rankings = await trends.rankings(site.id, period.first_day, period.last_day, _LISTED)
        from_ms = day_start_ms(site.time_zone, period.first_day)
        to_ms = day_start_ms(site.time_zone, period.last_day + 1)
        return Overview(
            site=site,
            period=period,
            days=[_figures(day, by_day.get(day)) for day in range(period.first_day, period.last_day + 1)],
            now=_totals(by_day.values()),
            before=_totals(day for day in days if day.day < period.first_day),
            comments=await trends.comments_by_status(site.id, from_ms, to_ms),
            best=rankings.best,
            worst=rankings.worst,
            movers=rankings.movers,
            discussed=await trends.most_discussed(site.id, from_ms, to_ms, _LISTED),
        )


def _figures(day: int, votes: DayOfVotes | None) -> DayFigures:
    totals = _totals([votes] if votes else [])
    return DayFigures(date_of(day), totals.votes, totals.average)


def _totals(days: Iterable[DayOfVotes]) -> Totals:
    given = [0, 0, 0, 0, 0]
    for day in days:
        for index, count in enumerate(day.given):
            given[index] += count
    votes = sum(given)
    points = sum(score * count for score, count in enumerate(given, start=1))
    return Totals(votes, points / votes if votes else None, (given[0], given[1], given[2], given[3], given[4]))
