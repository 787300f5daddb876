"""The gaps the ingestor records itself: its own absence between two runs, and a full spool.

A source records the holes it sees while it runs (a reconnect, a heartbeat timeout). Two holes only
the ingestor sees: the time from the last record a run read to the first record the next run
reads (the run stopped, or was killed), and the time it did not take batches from its source
because the spool was full.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog

from coinstream.core.records import DeadLetter, FeedGap, Trade

log = structlog.get_logger(__name__)

INGESTOR_STOPPED = "ingestor stopped"
INGESTOR_KILLED = "ingestor killed"
SPOOL_FULL = "spool full"


@dataclass(frozen=True, slots=True)
class LastRead:
    """The last record read: its receive time (UTC micros), its feed session and its source."""

    read_time: int
    session_id: str
    source: str


@dataclass(frozen=True, slots=True)
class PreviousRun:
    """What the run before this one left in the mark: its last record, and whether it stopped cleanly."""

    last_read: LastRead
    clean: bool


def now_us() -> int:
    """The current UTC time in microseconds since the epoch."""
    return time.time_ns() // 1000


def read_time(record: object) -> int | None:
    """When the ingestor's source read a record (UTC micros), or None when the record does not say."""
    kind = type(record)
    if kind is Trade:
        return record.ingest_time  # type: ignore[attr-defined, no-any-return]
    if kind is DeadLetter:
        return record.received_time or None  # type: ignore[attr-defined, no-any-return]
    if kind is FeedGap:
        return record.gap_end  # type: ignore[attr-defined, no-any-return]
    value = getattr(record, "ingest_time", None)  # a plugin's own records (quotes)
    return value if isinstance(value, int) else None


def last_read(batch: Sequence[object], session_id: str) -> LastRead | None:
    """The batch's last record with a read time, as a :class:`LastRead` of the given session."""
    for record in reversed(batch):
        moment = read_time(record)
        if moment is not None:
            return LastRead(moment, session_id, str(getattr(record, "source", "")))
    return None


def first_read_time(batch: Sequence[object]) -> int | None:
    """The read time of the batch's first record that has one."""
    for record in batch:
        moment = read_time(record)
        if moment is not None:
            return moment
    return None


def absence_gap(previous: PreviousRun, first_read_us: int) -> FeedGap:
    """The gap from the previous run's last record to this run's first: ``ingestor stopped`` after
    a clean stop, ``ingestor killed`` when the previous run never closed its spool."""
    return _gap(previous.last_read, first_read_us, INGESTOR_STOPPED if previous.clean else INGESTOR_KILLED)


def spool_full_gap(last: LastRead, resumed_us: int) -> FeedGap:
    """The gap from the last record read before the spool filled to when the ingestor read again."""
    return _gap(last, resumed_us, SPOOL_FULL)


def _gap(last: LastRead, end_us: int, reason: str) -> FeedGap:
    if end_us < last.read_time:
        # The clock went back, or the source replays older records: the hole cannot be measured.
        log.warning("gap_end_before_start", gap_start=last.read_time, gap_end=end_us, reason=reason,
                    hint="recorded as an empty gap at its start")
        end_us = last.read_time
    gap = FeedGap(source=last.source, session_id=last.session_id, gap_start=last.read_time, gap_end=end_us,
                  reason=reason, missing_trades=None, recorded_time=now_us())
    log.warning("ingest_gap", gap_start=_iso(gap.gap_start), gap_end=_iso(gap.gap_end), seconds=round(gap.seconds, 3),
                reason=reason, session_id=gap.session_id, gap_id=gap.gap_id)
    return gap


def _iso(micros: int) -> str:
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)).isoformat()
