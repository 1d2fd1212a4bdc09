"""The figures static/charts.js draws (from a JSON block of the page): each day's votes, and
their average — on a helpful-scale site the share found helpful, in percent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, Protocol


class DayOfFigures(Protocol):
    @property
    def day(self) -> date: ...
    @property
    def votes(self) -> int: ...
    @property
    def average(self) -> float | None: ...


def trend_chart(days: Sequence[DayOfFigures], helpful: bool) -> dict[str, Any]:
    return {
        "days": [each.day.isoformat() for each in days],
        "votes": [each.votes for each in days],
        "average": [_shown(each.average, helpful) for each in days],
        "helpful": helpful,
    }


def _shown(average: float | None, helpful: bool) -> float | None:
    if average is None:
        return None
    # A helpful-scale vote is 5 (yes) or 1 (no): the average tells the share of yeses.
    return round((average - 1) / 4 * 100, 1) if helpful else round(average, 2)
