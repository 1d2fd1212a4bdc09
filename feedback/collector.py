"""CPython's garbage collector in the long-lived processes: the server's workers and the flusher."""

from __future__ import annotations

import gc


def tune_for_throughput() -> None:
    """Their work allocates many short-lived objects (a request's hundreds, a flush's tuples and
    lists per event), and CPython's default of a collection every 700 allocations then spends
    much of their time scanning (docs/performance.md). Freeze what start-up built (it lives as
    long as the process) and collect less often: their garbage is freed by reference counting,
    not by the collector, anyway."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
