"""The time window the page shows: the last ``minutes`` of trades, and the scan predicate that reads only it.

The window ends at the latest trade time the trades table's log records (so a stopped pipeline's lake
still shows its last minutes), or now when the log keeps no trade_time statistics. Its predicate goes
into the pyarrow scan: a ``trade_date`` partition before the window's first day skips whole folders,
and the files' trade_time statistics skip the older files of the window's first day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyarrow.dataset as ds

DEFAULT_WINDOW_MINUTES = 60.0


@dataclass(frozen=True)
class TradeWindow:
    """The trades from ``start`` to ``end`` (UTC), ``minutes`` long."""

    start: datetime
    end: datetime
    minutes: float

    def as_view(self) -> dict[str, object]:
        """The window as the page's JSON shows it."""
        return {"minutes": self.minutes, "start": self.start.isoformat(), "end": self.end.isoformat()}


def trade_window(last_trade_time: datetime | None, minutes: float = DEFAULT_WINDOW_MINUTES,
                 now: datetime | None = None) -> TradeWindow:
    """The window of ``minutes`` ending at ``last_trade_time`` (or ``now`` when there is none)."""
    if minutes <= 0:
        raise ValueError(f"the dashboard's window is {minutes} minutes; give it a positive number of minutes "
                         "(--window-minutes)")
    end = (last_trade_time or now or datetime.now(UTC)).astimezone(UTC)
    return TradeWindow(start=end - timedelta(minutes=minutes), end=end, minutes=minutes)


def window_expression(window: TradeWindow, time_column: str, columns: set[str],
                      partition_column: str | None = None) -> ds.Expression:
    """Rows whose ``time_column`` is in the window; with a date ``partition_column`` among ``columns``,
    also the partitions from the window's first day on, so older partitions are never opened."""
    expression = ds.field(time_column) >= window.start
    if partition_column is not None and partition_column in columns:
        expression = (ds.field(partition_column) >= window.start.date()) & expression
    return expression
