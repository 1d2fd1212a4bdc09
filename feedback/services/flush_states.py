"""What the periodic flusher tells the log and the metrics: each flush's duration and events, and
its state changes, each logged once when it begins and once when it ends (a flusher that finds
Redis down every two seconds for an hour writes two lines, not 1,800)."""

from __future__ import annotations

import enum
import logging

from feedback.metrics import Metrics

# The flusher's own lines, under its name.
log = logging.getLogger("feedback.services.flusher")


class _State(enum.Enum):
    STARTING = "starting"
    FLUSHING = "flushing"  # this flusher holds the lease when it flushes
    STANDING_BY = "standing by"  # another flusher holds it
    REDIS_DOWN = "redis down"
    FAILING = "failing"


class FlushStates:
    def __init__(self, period_seconds: float, metrics: Metrics | None) -> None:
        self._period_seconds = period_seconds
        self._metrics = metrics
        self._state = _State.STARTING
        self._slow = False

    def flushed(self, applied: int | None, seconds: float) -> None:
        """A flush ended: `applied` events (None: another flusher held the lease) in `seconds`."""
        if applied is None:
            self._enter(_State.STANDING_BY)
            return
        self._enter(_State.FLUSHING)
        if self._metrics is not None:
            self._metrics.flush_seconds.observe(seconds)
            self._metrics.flush_events.observe(applied)
        # Slower than the period: the flusher runs back to back and still falls behind the votes.
        slow = seconds > self._period_seconds
        if slow and not self._slow:
            log.warning(
                "a flush of %d events took %.1f s, longer than FEEDBACK_FLUSH_SECONDS (%g s): the flusher falls behind",
                applied,
                seconds,
                self._period_seconds,
            )
        elif self._slow and not slow:
            log.info("flushes take less than FEEDBACK_FLUSH_SECONDS again (%.2f s)", seconds)
        self._slow = slow

    def redis_unavailable(self, error: BaseException) -> None:
        if self._state is not _State.REDIS_DOWN:
            log.warning("the flusher waits for Redis: %s", error)
        self._enter(_State.REDIS_DOWN, quietly=True)

    def failed(self) -> None:
        """A flush raised: called in its `except` block, so that the first failure's traceback is logged."""
        if self._state is not _State.FAILING:
            log.exception(
                "flush failed; retrying every %.1f s (logged again only once it recovers)", self._period_seconds
            )
        self._enter(_State.FAILING, quietly=True)

    def _enter(self, state: _State, quietly: bool = False) -> None:
        previous, self._state = self._state, state
        if state is previous or quietly:
            return
        if previous is _State.REDIS_DOWN:
            log.info("the flusher reaches Redis again")
        elif previous is _State.FAILING:
            log.info("flushes succeed again")
        # The lease is taken for each flush and released after it, so the workers of one server
        # take turns: at info this would be a line every period or two.
        if state is _State.FLUSHING:
            log.debug("this flusher took the lease")
        elif state is _State.STANDING_BY:
            log.debug("another flusher holds the lease")
