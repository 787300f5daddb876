"""The time window a quality check covers: [start, end) on a timestamp column, as a pyarrow scan predicate.

The predicate goes into the scan (``coinstream.lake.table_rows``'s ``expression``), so only the
files and row groups that can hold the window are read; on a table partitioned by the date of the
column (``trades``: ``trade_date`` of ``trade_time``) the date partition is bounded too, so whole
partitions are skipped without opening them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pyarrow as pa

if TYPE_CHECKING:
    import pyarrow.dataset as ds
    from deltalake import DeltaTable

DEFAULT_WINDOW_COLUMN = "trade_time"
DATE_PARTITIONS = {"trade_time": "trade_date", "window_start": "bar_date"}
"""The date partition that holds the UTC date of a window column, where coinstream writes one
(``trades`` by the sink, the backfill's bars by ``TiingoBackfillOperator``)."""


class QualityConfigurationError(ValueError):
    """The check cannot run as configured (the message names the setting, its value and the fix)."""


@dataclass(frozen=True)
class Window:
    """Rows whose ``column`` is in [start, end); a missing bound is open. Times are UTC."""

    column: str = DEFAULT_WINDOW_COLUMN
    start: datetime | None = None
    end: datetime | None = None
    date_partition: str | None = None

    def describe(self) -> str:
        """``trade_time in [2026-03-01T10:00:00+00:00, 2026-03-01T11:00:00+00:00)``, for messages."""
        start = self.start.isoformat() if self.start else "-inf"
        end = self.end.isoformat() if self.end else "+inf"
        return f"{self.column} in [{start}, {end})"

    def as_dict(self) -> dict[str, Any]:
        return {"column": self.column, "start": self.start.isoformat() if self.start else None,
                "end": self.end.isoformat() if self.end else None, "date_partition": self.date_partition}

    def expression(self, schema: pa.Schema) -> ds.Expression:
        """The scan predicate: the column's bounds, and the date partition's when there is one."""
        import pyarrow.dataset as ds

        column = schema.field(self.column)
        terms = []
        if self.start is not None:
            terms.append(ds.field(self.column) >= _scalar(self.start, column.type))
        if self.end is not None:
            terms.append(ds.field(self.column) < _scalar(self.end, column.type))
        if self.date_partition:
            kind = schema.field(self.date_partition).type
            if self.start is not None:
                terms.append(ds.field(self.date_partition) >= _day(self.start.date(), kind))
            if self.end is not None:  # the day of the last instant before end
                terms.append(ds.field(self.date_partition) <= _day((self.end - timedelta(microseconds=1)).date(), kind))
        expression = terms[0]
        for term in terms[1:]:
            expression = expression & term
        return expression


def _scalar(moment: datetime, kind: pa.DataType) -> pa.Scalar:
    if pa.types.is_timestamp(kind) and kind.tz is None:  # timestamp_ntz columns hold UTC wall times
        return pa.scalar(moment.astimezone(UTC).replace(tzinfo=None), type=kind)
    if pa.types.is_date(kind):
        return pa.scalar(moment.astimezone(UTC).date(), type=kind)
    return pa.scalar(moment, type=kind)


def _day(day: date, kind: pa.DataType) -> pa.Scalar:
    return pa.scalar(day.isoformat() if pa.types.is_string(kind) or pa.types.is_large_string(kind) else day,
                     type=kind)


def parse_bound(value: datetime | str | None, name: str) -> datetime | None:
    """A window bound as an aware UTC datetime; None or "" is no bound; naive values are UTC."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise QualityConfigurationError(
                f"{name}={value!r} is not a timestamp; pass an ISO 8601 time such as 2026-03-01T10:00:00+00:00, "
                f"or a template such as '{{{{ data_interval_start }}}}'") from None
    if not isinstance(value, datetime):
        raise QualityConfigurationError(f"{name}={value!r} is not a timestamp; pass a datetime or an ISO 8601 string")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def window_for(delta: DeltaTable, table: str, column: str, start: datetime | str | None,
               end: datetime | str | None) -> Window | None:
    """The window the check covers on ``delta`` (None: no bound given, the whole table).

    Raises QualityConfigurationError for an unparsable bound, an end before the start, or a column
    the table lacks or that holds no time.
    """
    window_start, window_end = parse_bound(start, "window_start"), parse_bound(end, "window_end")
    if window_start is None and window_end is None:
        return None
    if window_start is not None and window_end is not None and window_end < window_start:
        raise QualityConfigurationError(
            f"window_end={window_end.isoformat()} is before window_start={window_start.isoformat()}; the window is "
            "[window_start, window_end): pass an end at or after the start")
    schema = pa.schema(delta.schema().to_arrow())
    if column not in schema.names:
        raise QualityConfigurationError(
            f"window_column={column!r}: {table} has no such column; its columns are: {', '.join(schema.names)}; "
            "name its event-time column (trades, quarantine, late_trades: trade_time; ohlcv_1m, exchange_stats and "
            "the backfill's bars: window_start)")
    kind = schema.field(column).type
    if not (pa.types.is_timestamp(kind) or pa.types.is_date(kind)):
        raise QualityConfigurationError(
            f"window_column={column!r} of {table} is {kind}, not a timestamp or date; name a time column")
    partition = DATE_PARTITIONS.get(column)
    if partition not in delta.metadata().partition_columns:
        partition = None
    return Window(column=column, start=window_start, end=window_end, date_partition=partition)
