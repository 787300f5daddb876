"""Garbage-collector settings for the ingest loop, applied for the length of a run.

The ingestor allocates several container objects per trade (the decoded JSON dict, the Trade,
the batch lists), and a batch of tens of thousands of trades is alive at once. With CPython's
default thresholds (700, 10, 10) those survivors are promoted and full collections rescan the
whole heap again and again: 15 % of the ingestor's CPU at 50,000 trades/s on the ingest
benchmark (bench/README.md). Freezing what start-up allocated (modules, settings, clients) takes
it out of every collection, and a larger first threshold collects young objects in fewer,
larger passes. Nothing here turns collection off: cycles are still found.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

INGEST_GC_THRESHOLDS = (50_000, 20, 100)


@contextmanager
def ingest_gc_settings(thresholds: tuple[int, int, int] = INGEST_GC_THRESHOLDS) -> Iterator[None]:
    """Freeze the objects alive now and raise the collection thresholds; restore both on exit."""
    previous = gc.get_threshold()
    gc.collect()  # start the frozen generation from a clean heap
    gc.freeze()
    gc.set_threshold(*thresholds)
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()
