"""The lake's tables: how each named stream is written when a sink does not say otherwise.

Read by the Delta sink when it starts (write mode, partitioning, merge keys) and by the README test
that proves every table is documented. The column lists are what the built-in transforms produce;
the README gives their types.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

WriteMode = Literal["append", "merge"]


@dataclass(frozen=True, slots=True)
class TableSpec:
    """The defaults for one table: ``mode`` (append or MERGE on ``keys``) and ``partition_by``."""

    name: str
    mode: WriteMode
    partition_by: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()


TRADES_COLUMNS = ("trade_id", "ticker", "base_currency", "quote_currency", "exchange", "price", "size",
                  "trade_time", "ingest_time", "source", "pair_rule", "notional", "ingest_latency_ms", "trade_date")

TABLES: dict[str, TableSpec] = {spec.name: spec for spec in (
    TableSpec("trades", "append", partition_by=("trade_date",), columns=TRADES_COLUMNS),
    TableSpec("ohlcv_1m", "merge", keys=("window_start", "ticker", "exchange"),
              columns=("window_start", "window_end", "ticker", "exchange", "open", "high", "low", "close",
                       "volume", "vwap", "trade_count")),
    TableSpec("exchange_stats", "merge", keys=("window_start", "exchange"),
              columns=("window_start", "window_end", "exchange", "trade_count", "notional", "distinct_tickers")),
    # Small by design (rejected rows only): one folder, no partitions.
    TableSpec("quarantine", "append", columns=(*TRADES_COLUMNS[:11], "reason", "quarantined_by")),
)}


def table_spec(name: str) -> TableSpec | None:
    """Return the documented defaults of a table by name, or None for a table coinstream does not know."""
    return TABLES.get(name)
