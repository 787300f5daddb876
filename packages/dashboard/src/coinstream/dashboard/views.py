"""The dashboard's figures, computed with DuckDB over the Arrow data of the Delta tables.

Everything returned is plain JSON-ready data; the page draws it. Times are UTC, in ISO 8601.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from coinstream.dashboard.window import TradeWindow

TOP_N = 10
TICKERS_PER_EXCHANGE = 25


@dataclass(frozen=True)
class LakeSnapshot:
    """What the dashboard reads: the window's rows as Arrow tables (None when a table does not exist yet)
    and the whole tables' figures from their Delta logs (None: not known, e.g. a snapshot built by hand)."""

    trades: pa.Table
    ohlcv_1m: pa.Table | None = None
    table_versions: dict[str, int] | None = None
    quarantine: pa.Table | None = None  # its ``reason`` column is enough
    window: TradeWindow | None = None
    trades_total: int | None = None
    first_trade_time: datetime | None = None
    quarantined_total: int | None = None


def _rows(connection: duckdb.DuckDBPyConnection, sql: str, *params: Any) -> list[dict[str, Any]]:
    cursor = connection.execute(sql, list(params))
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, (_plain(v) for v in row), strict=True)) for row in cursor.fetchall()]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    return value


_TICKER_STATS = """
    count(*) AS trades, sum(size) AS volume, sum(price * size) / nullif(sum(size), 0) AS vwap,
    min(price) AS min_price, max(price) AS max_price, arg_max(price, trade_time) AS last_price,
    max(trade_time) AS last_trade_time
"""


def build_views(snapshot: LakeSnapshot, top_n: int = TOP_N) -> dict[str, Any]:
    """Return every view of the dashboard as JSON-ready data (see the package README)."""
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    connection.register("trades", snapshot.trades)
    in_window = _rows(connection, """
        SELECT count(*) AS trades, count(DISTINCT exchange) AS exchanges, count(DISTINCT ticker) AS tickers,
               min(trade_time) AS first_trade_time, max(trade_time) AS last_trade_time FROM trades""")[0]
    window = {**(snapshot.window.as_view() if snapshot.window else {}), **in_window}
    totals = {"trades": in_window["trades"] if snapshot.trades_total is None else snapshot.trades_total,
              "first_trade_time": _plain(snapshot.first_trade_time) or in_window["first_trade_time"],
              "last_trade_time": in_window["last_trade_time"]}
    top_exchanges = _rows(connection, """
        SELECT exchange, count(*) AS trades, sum(price * size) AS notional FROM trades
        GROUP BY exchange ORDER BY trades DESC, exchange LIMIT ?""", top_n)
    top_tickers = _rows(connection, f"""
        SELECT ticker, {_TICKER_STATS} FROM trades GROUP BY ticker ORDER BY trades DESC, ticker LIMIT ?""", top_n)
    exchanges: dict[str, Any] = {}
    for row in _rows(connection, "SELECT exchange, count(*) AS trades FROM trades GROUP BY exchange "
                                 "ORDER BY trades DESC, exchange"):
        tickers = _rows(connection, f"""
            SELECT ticker, {_TICKER_STATS}, count(*) / ? AS share FROM trades WHERE exchange = ?
            GROUP BY ticker ORDER BY trades DESC, ticker LIMIT ?""", row["trades"], row["exchange"],
            TICKERS_PER_EXCHANGE)
        exchanges[row["exchange"]] = {"trades": row["trades"], "tickers": tickers}
    health = _rows(connection, """
        SELECT date_trunc('minute', ingest_time) AS minute, count(*) AS trades,
               quantile_cont(epoch_ms(ingest_time) - epoch_ms(trade_time), 0.5) AS ingest_latency_p50_ms,
               quantile_cont(epoch_ms(ingest_time) - epoch_ms(trade_time), 0.99) AS ingest_latency_p99_ms
        FROM trades GROUP BY minute ORDER BY minute""")
    candles = _candles(connection, snapshot.ohlcv_1m, [t["ticker"] for t in top_tickers])
    return {
        "generated_at": datetime.now(UTC).isoformat(),
        "time_zone": "UTC",
        "totals": totals,
        "window": window,
        "top_exchanges": top_exchanges,
        "top_tickers": top_tickers,
        "exchanges": exchanges,
        "health": health,
        "candles": candles,
        "table_versions": snapshot.table_versions or {},
        "quality": _quality(connection, snapshot.quarantine, snapshot.quarantined_total),
    }


def _quality(connection: duckdb.DuckDBPyConnection, quarantine: pa.Table | None,
             quarantined_total: int | None) -> dict[str, Any]:
    """The quarantine's row count (the whole table's, from its log), and the window's quarantined rows by
    failed check (the first word of each reason: the field that failed), with an example."""
    quarantined = quarantined_total if quarantined_total is not None else (quarantine.num_rows if quarantine else 0)
    if quarantine is None or quarantine.num_rows == 0:
        return {"quarantined": quarantined, "checks": []}
    connection.register("quarantine", quarantine)
    checks = _rows(connection, """
        SELECT split_part(reason, ' ', 1) AS "check", count(*) AS trades, min(reason) AS example FROM quarantine
        GROUP BY "check" ORDER BY trades DESC, "check" LIMIT ?""", TOP_N)
    return {"quarantined": quarantined, "checks": checks}


def _candles(connection: duckdb.DuckDBPyConnection, ohlcv: pa.Table | None, tickers: list[str]) -> dict[str, Any]:
    """One-minute bars of each top ticker on its busiest exchange, from the ohlcv_1m table."""
    if ohlcv is None or ohlcv.num_rows == 0 or not tickers:
        return {}
    connection.register("ohlcv_1m", ohlcv)
    candles: dict[str, Any] = {}
    for ticker in tickers:
        busiest = _rows(connection, """SELECT exchange FROM ohlcv_1m WHERE ticker = ? GROUP BY exchange
                                       ORDER BY sum(trade_count) DESC, exchange LIMIT 1""", ticker)
        if not busiest:
            continue
        exchange = busiest[0]["exchange"]
        bars = _rows(connection, """SELECT window_start, open, high, low, close, volume, vwap, trade_count
                                    FROM ohlcv_1m WHERE ticker = ? AND exchange = ? ORDER BY window_start""",
                     ticker, exchange)
        candles[ticker] = {"exchange": exchange, "bars": bars}
    return candles
