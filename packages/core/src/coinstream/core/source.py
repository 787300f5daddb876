"""The contract of a source: what a ``register_sources`` factory returns."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from coinstream.core.records import DeadLetter, Trade

SourceRecord = Trade | DeadLetter
"""What a source yields: a trade, or the dead letter of an input that could not become one."""


@dataclass
class SourceStats:
    """Counters a source keeps for the ingestor's metrics (read, never reset, by the ingestor)."""

    frames: int = 0
    trades: int = 0
    dead_letters: int = 0
    reconnects: int = 0
    gaps: int = 0
    extra: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SourceContext:
    """What the ingestor hands a source factory besides its settings."""

    pipeline_name: str
    source_name: str


@runtime_checkable
class Source(Protocol):
    """A stream of records. ``factory(settings, context)`` builds one when the ingestor starts.

    Iterating yields batches: the records that arrived together (one frame, or whatever was
    ready at once), so per-record overhead is paid once per batch. The iterator ends when the
    source is exhausted (a replay, a bounded run) or after :meth:`close`; it raises only for
    errors that retrying cannot fix (a rejected API key), with a message that says what to do.
    """

    stats: SourceStats

    def batches(self) -> AsyncIterator[Sequence[SourceRecord]]:
        """Return the async iterator of record batches."""
        ...

    async def close(self) -> None:
        """Stop reading: the iterator ends after the batch in hand. Safe to call twice."""
        ...
