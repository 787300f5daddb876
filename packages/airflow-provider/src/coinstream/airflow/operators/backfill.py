"""Backfill OHLCV bars for a date range from Tiingo's REST API into a Delta table (no JVM).

The websocket feed cannot be replayed for a past day; Tiingo's REST bars can. Bars land in their
own table (schema in the provider README), partitioned by ``bar_date``. A run replaces exactly
its days and tickers (a predicate overwrite), so re-running a range is idempotent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa
import structlog
from coinstream.airflow.hooks.delta import DeltaTableHook, delta_uri
from coinstream.airflow.hooks.tiingo import TiingoHook

from airflow.sdk import BaseOperator, Context
from airflow.sdk.exceptions import AirflowFailException

log = structlog.get_logger(__name__)

_TICKER = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_FREQUENCY = re.compile(r"^(?P<count>\d+)(?P<unit>min|hour|day)$")
_UNIT_SECONDS = {"min": 60, "hour": 3_600, "day": 86_400}
ALL_EXCHANGES = "*"
SOURCE = "tiingo_rest"

BAR_SCHEMA = pa.schema([
    pa.field("bar_date", pa.string(), nullable=False),
    pa.field("window_start", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("window_end", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("ticker", pa.string(), nullable=False),
    pa.field("base_currency", pa.string()),
    pa.field("quote_currency", pa.string()),
    pa.field("exchange", pa.string(), nullable=False),
    pa.field("open", pa.float64()),
    pa.field("high", pa.float64()),
    pa.field("low", pa.float64()),
    pa.field("close", pa.float64()),
    pa.field("volume", pa.float64()),
    pa.field("volume_notional", pa.float64()),
    pa.field("vwap", pa.float64()),
    pa.field("trade_count", pa.int64()),
    pa.field("resample_freq", pa.string(), nullable=False),
    pa.field("source", pa.string(), nullable=False),
    pa.field("backfilled_at", pa.timestamp("us", tz="UTC"), nullable=False),
])


def frequency_delta(resample_freq: str) -> timedelta:
    """``1min`` -> 1 minute, ``1hour``, ``1day``; ValueError naming the value otherwise."""
    match = _FREQUENCY.match(resample_freq)
    if not match or int(match["count"]) < 1:
        raise ValueError(f"resample_freq={resample_freq!r} is not like 1min, 5min, 1hour or 1day")
    return timedelta(seconds=int(match["count"]) * _UNIT_SECONDS[match["unit"]])


def parse_day(value: str, name: str) -> date:
    """A ``YYYY-MM-DD`` day (a datetime's date part is accepted); ValueError naming the value otherwise."""
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a date like 2026-01-31") from None


def bars_table(rows: list[dict[str, Any]], start: date, end: date, resample_freq: str, exchange: str,
               backfilled_at: datetime) -> pa.Table:
    """Tiingo's ``/crypto/prices`` answer as rows of BAR_SCHEMA, kept to [start, end)."""
    step = frequency_delta(resample_freq)
    columns: dict[str, list[Any]] = {field.name: [] for field in BAR_SCHEMA}
    for ticker_rows in rows:
        for bar in ticker_rows.get("priceData") or []:
            moment = datetime.fromisoformat(str(bar["date"])).astimezone(UTC)
            if not start <= moment.date() < end:
                continue
            volume, notional = bar.get("volume"), bar.get("volumeNotional")
            values = {
                "bar_date": moment.date().isoformat(), "window_start": moment, "window_end": moment + step,
                "ticker": str(ticker_rows.get("ticker", "")).lower(), "base_currency": ticker_rows.get("baseCurrency"),
                "quote_currency": ticker_rows.get("quoteCurrency"), "exchange": exchange, "open": bar.get("open"),
                "high": bar.get("high"), "low": bar.get("low"), "close": bar.get("close"), "volume": volume,
                "volume_notional": notional, "vwap": notional / volume if volume and notional is not None else None,
                "trade_count": bar.get("tradesDone"), "resample_freq": resample_freq, "source": SOURCE,
                "backfilled_at": backfilled_at}
            for name, value in values.items():
                columns[name].append(value)
    return pa.table(columns, schema=BAR_SCHEMA)


class TiingoBackfillOperator(BaseOperator):
    """Fetch REST bars for ``tickers`` over the days [from_date, to_date) and write them to ``table``.

    :param table: Delta table URI (``s3a://bucket/ohlcv_backfill`` or a local path); templated.
    :param from_date: first day, ``YYYY-MM-DD`` (templated, e.g. ``{{ data_interval_start | ds }}``).
    :param to_date: day after the last, exclusive (templated, e.g. ``{{ data_interval_end | ds }}``).
    """

    template_fields: Sequence[str] = ("tickers", "from_date", "to_date", "table")
    ui_color = "#cfe2f3"

    def __init__(self, *, tickers: list[str], from_date: str, to_date: str, table: str,
                 resample_freq: str = "1min", exchanges: list[str] | None = None,
                 tiingo_conn_id: str = TiingoHook.default_conn_name, aws_conn_id: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(tickers, str) or not tickers:
            raise ValueError(f"tickers={tickers!r} must be a non-empty list such as ['btcusd', 'ethusd']")
        for ticker in tickers:
            if "{{" not in ticker and not _TICKER.match(ticker):
                raise ValueError(f"tickers: {ticker!r} is not a Tiingo ticker; use lower case like 'btcusd'")
        frequency_delta(resample_freq)
        if not table:
            raise ValueError("table is empty; pass a Delta table URI such as s3a://coinstream/ohlcv_backfill")
        self.tickers = tickers
        self.from_date = from_date
        self.to_date = to_date
        self.table = table
        self.resample_freq = resample_freq
        self.exchanges = exchanges
        self.tiingo_conn_id = tiingo_conn_id
        self.aws_conn_id = aws_conn_id

    def execute(self, context: Context) -> dict[str, Any]:
        from deltalake import DeltaTable, write_deltalake

        start, end = parse_day(self.from_date, "from_date"), parse_day(self.to_date, "to_date")
        if end <= start:
            raise AirflowFailException(f"to_date={end} is not after from_date={start}; to_date is exclusive: "
                                       f"pass {start + timedelta(days=1)} to backfill {start} alone")
        tiingo = TiingoHook(self.tiingo_conn_id)
        exchange = ",".join(sorted(self.exchanges)) if self.exchanges else ALL_EXCHANGES
        backfilled_at = datetime.now(UTC)
        parts, day = [], start
        while day < end:  # a day per request keeps 1-minute bars under Tiingo's per-request cap
            rows = tiingo.prices(self.tickers, day.isoformat(), (day + timedelta(days=1)).isoformat(),
                                 self.resample_freq, self.exchanges)
            parts.append(bars_table(rows, day, day + timedelta(days=1), self.resample_freq, exchange, backfilled_at))
            day += timedelta(days=1)
        bars = pa.concat_tables(parts)
        log.info("backfill_fetched", tickers=self.tickers, start=str(start), end=str(end), bars=bars.num_rows)
        if bars.num_rows == 0:
            log.warning("backfill_empty", tickers=self.tickers, start=str(start), end=str(end))
            return {"rows": 0, "table": self.table, "version": None}
        delta = DeltaTableHook(self.aws_conn_id)
        uri, options = delta_uri(self.table), delta.storage_options(self.table)
        if DeltaTable.is_deltatable(uri, storage_options=options):
            tickers = ", ".join(f"'{ticker}'" for ticker in sorted(set(self.tickers)))
            predicate = (f"bar_date >= '{start.isoformat()}' AND bar_date < '{end.isoformat()}' "
                         f"AND ticker IN ({tickers}) AND exchange = '{exchange}' "
                         f"AND resample_freq = '{self.resample_freq}'")
            write_deltalake(uri, bars, mode="overwrite", predicate=predicate, storage_options=options)
        else:
            write_deltalake(uri, bars, mode="error", partition_by=["bar_date"], storage_options=options,
                            name="ohlcv_backfill", description="OHLCV bars backfilled from Tiingo REST")
        version = DeltaTable(uri, storage_options=options).version()
        log.info("backfill_written", table=self.table, rows=bars.num_rows, version=version)
        return {"rows": bars.num_rows, "table": self.table, "version": version}
