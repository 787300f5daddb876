"""The contract of a source: what a ``register_sources`` factory returns."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from coinstream.core.records import DeadLetter, FeedGap, Trade

SourceRecord = Trade | DeadLetter | FeedGap
"""What a source yields: a trade, the dead letter of an input that could not become one, or the
feed gap of an interval in which the feed was not read (a reconnect, a heartbeat timeout), yielded
at the head of the first batch read after it."""


@dataclass
class SourceStats:
    """Counters a source keeps for the ingestor's metrics (read, never reset, by the ingestor).

    ``session_id`` is the feed session of the batch last yielded ("" for a source without sessions):
    the ingestor keeps it with the last record it read, so the gap of its own absence (stopped or
    killed until the next start) names the session it follows.
    """

    frames: int = 0
    trades: int = 0
    dead_letters: int = 0
    reconnects: int = 0
    gaps: int = 0
    extra: dict[str, int] = field(default_factory=dict)
    session_id: str = ""


class SourceFatalError(Exception):
    """A source error that retrying cannot fix: a rejected API key, a refused subscription.

    A source raises it (or a subclass of it) from ``batches()`` with a message that says what to
    fix. The ingestor stops with it, and whatever schedules the ingestor should not retry: the
    Airflow ingest operator fails its task at once on it. Any other exception a source raises
    counts as transient (a retry may succeed).
    """


@runtime_checkable
class Source(Protocol):
    """A stream of records, built by ``factory(settings, context)`` when the ingestor starts.

    Iterating yields batches: the records that arrived together (one frame, or whatever was
    ready at once), so per-record overhead is paid once per batch. Every interval in which the
    source did not read its feed while it ran (a reconnect, a heartbeat timeout) is a
    :class:`FeedGap` at the head of the first batch after it; the ingestor records the gaps it
    causes itself (stopped, killed, spool full). The iterator ends when the source is exhausted
    (a replay, a bounded run) or after :meth:`close`; it raises only for errors that retrying
    cannot fix (a rejected API key): a :class:`SourceFatalError`, with a message that says what to do.
    """

    stats: SourceStats

    def batches(self) -> AsyncIterator[Sequence[SourceRecord]]:
        """Return the async iterator of record batches."""
        ...

    async def close(self) -> None:
        """Stop reading: the iterator ends after the batch in hand. Safe to call twice."""
        ...
