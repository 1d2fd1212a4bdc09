"""What a server counts for `GET /metrics`, in the Prometheus text format (prometheus-client).

One `Metrics` per server process. With several worker processes (`serve --workers N`),
prometheus-client's multiprocess mode keeps each process's values in files of a directory they
share (`PROMETHEUS_MULTIPROC_DIR`, which `serve` makes fresh for every run), and whichever
worker is scraped adds them all up: the scraper sees the server's totals, never one worker's.
prometheus-client picks that mode when it is imported, from the environment, so the directory
must be set before the worker starts; `Settings.metrics_multiprocess_dir` is the same variable.

Requests, votes and the like are counted in plain ints, added to prometheus-client's counters
once a second (`Metrics.publish`, from `Services`) and when this process is scraped: a scrape
sees the other workers' counts as they were at most a second ago.

The flush backlog (events pending, the age of the oldest) is one value for the whole server,
read from Redis when scraped, so it goes beside the processes' values rather than into them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

_FLUSH_SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_FLUSH_EVENTS_BUCKETS = (0, 1, 10, 100, 500, 1_000, 5_000, 10_000, 50_000, 100_000)


@dataclass(frozen=True)
class FlushBacklog:
    pending_events: int
    """Vote, comment and article events in the streams, not yet in SQLite."""
    lag_seconds: float
    """How long the oldest of them has waited (0 when none waits)."""


class Tally:
    """A count kept in a plain int where it happens, and added to its prometheus-client counter by
    `Metrics.publish`: an increment of prometheus-client's takes a lock, and in multiprocess mode
    writes a file's memory map too, which cost a vote several times what counting in an int does
    (docs/performance.md)."""

    __slots__ = ("_counter", "_pending")

    def __init__(self, counter: Counter) -> None:
        self._counter = counter
        self._pending = 0

    def inc(self) -> None:
        self._pending += 1

    def publish(self) -> None:
        if self._pending:
            pending, self._pending = self._pending, 0
            self._counter.inc(pending)


class Metrics:
    PUBLISH_SECONDS = 1.0
    """How often a process adds its tallies to the counters (`publish`), at least: with several
    workers, what a scrape says of another worker is at most this old."""

    def __init__(self, multiprocess_dir: str, worker: bool = True) -> None:
        """`worker`: a server process (counted in `feedback_workers`), not `serve`'s flusher."""
        self._registry = CollectorRegistry(auto_describe=False)
        # In multiprocess mode each value lives in the process's files, and the registry reads
        # every process's files when scraped; otherwise it holds the values itself.
        owner: CollectorRegistry | None = self._registry
        if multiprocess_dir:
            MultiProcessCollector(self._registry, path=multiprocess_dir)  # type: ignore[no-untyped-call]  # untyped upstream
            owner = None
        self._backlog = _Backlog()
        self._registry.register(self._backlog)
        self._requests = Counter(
            "feedback_requests",
            "HTTP requests answered, by route template (unmatched: no route), method and status.",
            ["route", "method", "status"],
            registry=owner,
        )
        self._request_tallies: dict[tuple[str, str, int], Tally] = {}
        direct_writes = Counter(
            "feedback_direct_writes",
            "Votes and comments written straight to SQLite because Redis was unavailable, by kind.",
            ["kind"],
            registry=owner,
        )
        rate_limited = Counter(
            "feedback_rate_limited",
            "Votes and comments refused by a rate limit (429), by kind.",
            ["kind"],
            registry=owner,
        )
        self.votes = Tally(Counter("feedback_votes", "Votes and withdrawals accepted.", registry=owner))
        self.comments = Tally(
            Counter(
                "feedback_comments", "Comments accepted (stored, whatever their moderation status).", registry=owner
            )
        )
        self.direct_votes = Tally(direct_writes.labels("vote"))
        self.direct_comments = Tally(direct_writes.labels("comment"))
        self.rate_limited_votes = Tally(rate_limited.labels("vote"))
        self.rate_limited_comments = Tally(rate_limited.labels("comment"))
        self.reader_cap_hits = Tally(
            Counter(
                "feedback_reader_cap_hits",
                "New readers past FEEDBACK_READERS_PER_ADDRESS: their votes are kept as suspect.",
                registry=owner,
            )
        )
        self.cold_loads = Tally(
            Counter("feedback_cold_loads", "Articles loaded from SQLite into Redis by a request.", registry=owner)
        )
        self._tallies = [
            self.votes,
            self.comments,
            self.direct_votes,
            self.direct_comments,
            self.rate_limited_votes,
            self.rate_limited_comments,
            self.reader_cap_hits,
            self.cold_loads,
        ]
        # Observed once per flush, not per request: straight into prometheus-client.
        self.flush_seconds = Histogram(
            "feedback_flush_duration_seconds",
            "How long each periodic flush took (those that held the flusher lease).",
            buckets=_FLUSH_SECONDS_BUCKETS,
            registry=owner,
        )
        self.flush_events = Histogram(
            "feedback_flush_events",
            "Events moved into SQLite by each periodic flush.",
            buckets=_FLUSH_EVENTS_BUCKETS,
            registry=owner,
        )
        workers = Gauge(
            "feedback_workers",
            "Server processes whose metrics are summed here.",
            multiprocess_mode="livesum",
            registry=owner,
        )
        workers.set(1 if worker else 0)

    def count_request(self, route: str, method: str, status: int) -> None:
        key = (route, method, status)
        tally = self._request_tallies.get(key)
        if tally is None:
            tally = self._request_tallies[key] = Tally(self._requests.labels(route, method, str(status)))
            self._tallies.append(tally)
        tally.inc()

    def publish(self) -> None:
        """Add what this process counted since the last call to the counters that scrapes read."""
        for tally in self._tallies:
            tally.publish()

    def exposition(self, backlog: FlushBacklog | None) -> bytes:
        """Every series in the text format; the backlog's gauges only when it could be read."""
        self.publish()
        self._backlog.current = backlog
        return generate_latest(self._registry)


class _Backlog:
    """The flush backlog's gauges, as of the scrape under way."""

    def __init__(self) -> None:
        self.current: FlushBacklog | None = None

    def collect(self) -> Iterator[Metric]:
        if self.current is None:
            return
        yield GaugeMetricFamily(
            "feedback_pending_events",
            "Events in Redis's streams not yet flushed into SQLite.",
            self.current.pending_events,
        )
        yield GaugeMetricFamily(
            "feedback_flush_lag_seconds",
            "Age of the oldest event not yet flushed into SQLite (0: none).",
            self.current.lag_seconds,
        )


def forget_process(pid: int, multiprocess_dir: str) -> None:
    """Drop a dead worker's live gauges (its counters stay: they still add to the totals)."""
    mark_process_dead(pid, multiprocess_dir)  # type: ignore[no-untyped-call]  # untyped upstream
