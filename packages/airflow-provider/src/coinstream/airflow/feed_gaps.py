"""Open feed gaps: the lake's ``feed_gaps`` table read without a JVM, and the ``feed_gap_backfills``
table that records which of them were backfilled from Tiingo REST.

The processor writes one ``feed_gaps`` row per FeedGap record (an interval in which the feed was not
read). A gap is *open* until a ``feed_gap_backfills`` row names its ``gap_id``; the backfill writes
the bars of a gap's window first and records the gap after, so a task that dies in between only
leaves the gap open, and the next run overwrites the same bars.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pyarrow as pa

from coinstream.airflow.quality_window import Window
from coinstream.lake import table_rows

if TYPE_CHECKING:
    from deltalake import DeltaTable

BACKFILLS_TABLE_NAME = "feed_gap_backfills"
FEED_GAPS_COLUMNS = ("gap_id", "source", "session_id", "gap_start", "gap_end", "reason")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TIMESTAMP = pa.timestamp("us", tz="UTC")

BACKFILLS_SCHEMA = pa.schema([
    pa.field("gap_id", pa.string(), nullable=False),
    pa.field("source", pa.string(), nullable=False),
    pa.field("reason", pa.string()),
    pa.field("gap_start", _TIMESTAMP, nullable=False),
    pa.field("gap_end", _TIMESTAMP, nullable=False),
    pa.field("window_start", _TIMESTAMP, nullable=False),
    pa.field("window_end", _TIMESTAMP, nullable=False),
    pa.field("tickers", pa.string(), nullable=False),
    pa.field("exchange", pa.string(), nullable=False),
    pa.field("resample_freq", pa.string(), nullable=False),
    pa.field("bars", pa.int64(), nullable=False),
    pa.field("bars_table", pa.string(), nullable=False),
    pa.field("backfilled_at", _TIMESTAMP, nullable=False),
])


class FeedGapsTableError(ValueError):
    """The feed_gaps table lacks a column the backfill reads (the message lists what it has)."""


@dataclass(frozen=True)
class OpenGap:
    """A feed gap not backfilled yet; times are UTC."""

    gap_id: str
    source: str
    session_id: str
    gap_start: datetime
    gap_end: datetime
    reason: str

    def window(self, step: timedelta) -> tuple[datetime, datetime]:
        """The bars that overlap the gap: from the bar holding its start to the bar boundary after its end."""
        start = _floor(self.gap_start, step)
        end = _floor(self.gap_end, step)
        if end < self.gap_end:
            end += step
        return start, max(end, start + step)


def _floor(moment: datetime, step: timedelta) -> datetime:
    return _EPOCH + ((moment - _EPOCH) // step) * step


def backfills_table_beside(gaps_table: str) -> str:
    """``s3a://lake/feed_gaps`` -> ``s3a://lake/feed_gap_backfills``: the default record of backfilled gaps."""
    parent, _, _name = gaps_table.rstrip("/").rpartition("/")
    return f"{parent}/{BACKFILLS_TABLE_NAME}" if parent else BACKFILLS_TABLE_NAME


def backfilled_gap_ids(backfills: DeltaTable | None) -> set[str]:
    """The gap ids a ``feed_gap_backfills`` table records (none when the table does not exist yet)."""
    if backfills is None:
        return set()
    return {str(value) for value in table_rows(backfills, ["gap_id"]).column("gap_id").to_pylist()}


def open_gaps(gaps: DeltaTable, table: str, backfilled: set[str], *, source: str, ended_before: datetime,
              since: datetime | None = None, until: datetime | None = None) -> list[OpenGap]:
    """The gaps of ``source`` not in ``backfilled`` whose end is before ``ended_before`` (and whose start is
    in [since, until) when given), oldest first, each gap_id once."""
    available = [field.name for field in gaps.schema().fields]
    missing = [column for column in FEED_GAPS_COLUMNS if column not in available]
    if missing:
        raise FeedGapsTableError(f"{table} has no column(s) {', '.join(missing)}; its columns are: "
                                 f"{', '.join(available)} (the processor's feed_gaps table is expected)")
    import pyarrow.dataset as ds

    schema = pa.schema(gaps.schema().to_arrow())
    # Pushed into the scan: the source's gaps that ended in time, started in [since, until) when given.
    predicate = (ds.field("source") == source) & Window("gap_end", end=ended_before).expression(schema)
    if since is not None or until is not None:
        predicate = predicate & Window("gap_start", start=since, end=until).expression(schema)
    found: dict[str, OpenGap] = {}
    for row in table_rows(gaps, FEED_GAPS_COLUMNS, predicate).to_pylist():
        gap = OpenGap(**row)
        if gap.gap_id in backfilled or gap.gap_id in found:
            continue
        found[gap.gap_id] = gap  # a gap written twice (a re-sent record) is backfilled once
    return sorted(found.values(), key=lambda gap: (gap.gap_start, gap.gap_id))


def merged_windows(windows: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Overlapping or touching windows joined, in order: gaps that describe one hole share their bars."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def days_of(windows: Sequence[tuple[datetime, datetime]]) -> list[datetime]:
    """The UTC midnights of every day a window touches (REST is asked a day at a time)."""
    days: set[datetime] = set()
    for start, end in windows:
        day = _floor(start, timedelta(days=1))
        while day < end:
            days.add(day)
            day += timedelta(days=1)
    return sorted(days)


def backfill_records(gaps: Sequence[OpenGap], step: timedelta, bars_per_gap: Sequence[int], *, tickers: Sequence[str],
                     exchange: str, resample_freq: str, bars_table: str, backfilled_at: datetime) -> pa.Table:
    """One ``feed_gap_backfills`` row per gap: its window, the bars written for it, where and when."""
    rows = []
    for gap, bars in zip(gaps, bars_per_gap, strict=True):
        window_start, window_end = gap.window(step)
        rows.append({"gap_id": gap.gap_id, "source": gap.source, "reason": gap.reason, "gap_start": gap.gap_start,
                     "gap_end": gap.gap_end, "window_start": window_start, "window_end": window_end,
                     "tickers": ",".join(sorted(set(tickers))), "exchange": exchange, "resample_freq": resample_freq,
                     "bars": bars, "bars_table": bars_table, "backfilled_at": backfilled_at})
    return pa.Table.from_pylist(rows, schema=BACKFILLS_SCHEMA)
