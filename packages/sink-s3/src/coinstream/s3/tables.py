"""The lake's tables: how each named stream is written when a sink does not say otherwise.

Read by the Delta sink when it starts (write mode, partitioning, merge keys) and by the README test
that proves every table is documented. The column lists are what the built-in transforms produce;
the README gives their types.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

WriteMode = Literal["append", "merge"]


@dataclass(frozen=True, slots=True)
class TableSpec:
    """The defaults for one table: ``mode`` (append or MERGE on ``keys``), ``partition_by``, the
    Delta ``properties`` the sink sets when it creates the table, ``check_tables``: the other
    tables a row marked for a recheck must not repeat (by trade_id), and for a MERGE table of rows
    that are not aggregates, ``update_when``: the condition (on ``t``, the table, and ``s``, the
    batch) under which a row of an existing key replaces it (None: it always does)."""

    name: str
    mode: WriteMode
    partition_by: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    properties: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    check_tables: tuple[str, ...] = ()
    update_when: str | None = None


# Trade tables: file statistics (min/max/nulls) only for the columns queries filter on. Delta's default
# gathers them for the first 32 columns; for random trade ids or prices they skip nothing and cost
# +13 % on the processor's Delta write (2.4M trades in 200k batches, warm: 54-55k vs 61-65k rows/s).
# The log checkpoint interval stays Delta's 10: at 100, the checkpoint ran on code the JVM had not
# compiled since the last one and stalled its micro-batch for 10 s (p99 at 2,000 trades/s: 10.8 s),
# and at 20,000 trades/s end to end the fewer checkpoints made no difference measurable here.
TRADE_TABLE_PROPERTIES = MappingProxyType({
    "delta.dataSkippingStatsColumns": "trade_time,ingest_time,ticker,exchange",
})


TRADES_COLUMNS = ("trade_id", "ticker", "base_currency", "quote_currency", "exchange", "price", "size",
                  "trade_time", "ingest_time", "source", "pair_rule", "notional", "ingest_latency_ms", "trade_date")

TABLES: dict[str, TableSpec] = {spec.name: spec for spec in (
    TableSpec("trades", "append", partition_by=("trade_date",), columns=TRADES_COLUMNS,
              properties=TRADE_TABLE_PROPERTIES),
    TableSpec("ohlcv_1m", "merge", keys=("window_start", "ticker", "exchange"),
              columns=("window_start", "window_end", "ticker", "exchange", "open", "high", "low", "close",
                       "volume", "vwap", "trade_count")),
    TableSpec("exchange_stats", "merge", keys=("window_start", "exchange"),
              columns=("window_start", "window_end", "exchange", "trade_count", "notional", "distinct_tickers")),
    # Small by design (rejected rows only): one folder, no partitions.
    # Undecodable Kafka records come with their place and bytes (the trade columns null).
    TableSpec("quarantine", "append", columns=(*TRADES_COLUMNS[:11], "reason", "quarantined_by", "kafka_topic",
                                               "kafka_partition", "kafka_offset", "raw_value"),
              properties=TRADE_TABLE_PROPERTIES),
    # Small by design too. A late trade already in trades is a repeat of it, not a late trade.
    TableSpec("late_trades", "append", columns=(*TRADES_COLUMNS[:11], "reason", "late_by_ms"),
              properties=TRADE_TABLE_PROPERTIES, check_tables=("trades",)),
    # One row per hole in the feed, from the feed gaps topic. A re-sent gap is the same record (same
    # gap_id); a later record of a gap only ever widens it.
    TableSpec("feed_gaps", "merge", keys=("gap_id",),
              columns=("gap_id", "source", "session_id", "gap_start", "gap_end", "seconds", "reason",
                       "missing_trades", "recorded_time"),
              update_when="s.gap_end > t.gap_end"),
)}


def table_spec(name: str) -> TableSpec | None:
    """Return the documented defaults of a table by name, or None for a table coinstream does not know."""
    return TABLES.get(name)
