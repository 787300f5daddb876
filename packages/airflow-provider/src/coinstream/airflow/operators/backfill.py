"""Backfill OHLCV bars from Tiingo's REST API into a Delta table (no JVM): a date range, or the feed's gaps.

The websocket feed cannot be replayed for a past day; Tiingo's REST bars can. REST has bars, not
trades: a hole in the trades table stays a hole, and the bars say what the market did meanwhile.
Bars land in their own table (schema in the provider README), partitioned by ``bar_date``. A run
replaces exactly its days (or gap windows) and tickers (a predicate overwrite), so re-running is
idempotent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa
import structlog
from coinstream.airflow.feed_gaps import (
    FeedGapsTableError,
    backfill_records,
    backfilled_gap_ids,
    backfills_table_beside,
    days_of,
    merged_windows,
    open_gaps,
)
from coinstream.airflow.hooks.delta import DeltaTableHook, DeltaTableNotFoundError
from coinstream.airflow.hooks.tiingo import TiingoHook
from coinstream.airflow.arguments import duration_seconds, non_empty
from coinstream.lake import delta_rs_uri

from airflow.sdk import BaseOperator, Context
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

log = structlog.get_logger(__name__)

_TICKER = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_FREQUENCY = re.compile(r"^(?P<count>\d+)(?P<unit>min|hour|day)$")
_UNIT_SECONDS = {"min": 60, "hour": 3_600, "day": 86_400}
ALL_EXCHANGES = "*"
SOURCE = "tiingo_rest"
MODES = ("range", "gaps")
DEFAULT_MIN_GAP_AGE = timedelta(minutes=15)
_DAY = timedelta(days=1)

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


def bars_table(rows: list[dict[str, Any]], start: datetime, end: datetime, resample_freq: str, exchange: str,
               backfilled_at: datetime) -> pa.Table:
    """Tiingo's ``/crypto/prices`` answer as rows of BAR_SCHEMA, kept to the bars starting in [start, end)."""
    step = frequency_delta(resample_freq)
    columns: dict[str, list[Any]] = {field.name: [] for field in BAR_SCHEMA}
    for ticker_rows in rows:
        for bar in ticker_rows.get("priceData") or []:
            moment = datetime.fromisoformat(str(bar["date"])).astimezone(UTC)
            if not start <= moment < end:
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


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


class TiingoBackfillOperator(BaseOperator):
    """Fetch REST bars for ``tickers`` and write them to ``table``: a date range, or the feed's open gaps.

    ``mode="range"`` (the default) backfills the days [from_date, to_date). ``mode="gaps"`` reads the
    lake's ``feed_gaps`` table (``gaps_table``) and backfills the window of every open gap of
    ``gap_source`` that ended at least ``min_gap_age`` ago (and, when from_date/to_date are given,
    started in those days): the bars overlapping each gap, then one row per gap in
    ``backfills_table`` (default: ``feed_gap_backfills`` beside ``gaps_table``), which is what makes
    a gap no longer open. With no open gap the task is skipped.

    REST has OHLCV bars, not trades: the bars are flagged as backfilled (``source`` = ``tiingo_rest``,
    ``backfilled_at``); the trades missed in a gap stay missing.

    :param table: Delta table URI of the bars (``s3a://bucket/ohlcv_backfill`` or a local path); templated.
    :param from_date: first day, ``YYYY-MM-DD`` (templated, e.g. ``{{ data_interval_start | ds }}``).
    :param to_date: day after the last, exclusive (templated, e.g. ``{{ data_interval_end | ds }}``).
    :param mode: ``range`` or ``gaps``; templated (a DAG Param can choose it per run).
    :param gaps_table: the ``feed_gaps`` table URI, for ``mode="gaps"``; templated.
    """

    template_fields: Sequence[str] = ("tickers", "from_date", "to_date", "table", "mode", "gaps_table",
                                      "backfills_table")
    ui_color = "#cfe2f3"

    def __init__(self, *, tickers: list[str], table: str, from_date: str | None = None, to_date: str | None = None,
                 mode: str = "range", gaps_table: str | None = None, backfills_table: str | None = None,
                 gap_source: str = "tiingo", min_gap_age: float | timedelta = DEFAULT_MIN_GAP_AGE,
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
        non_empty(table, "table", "a Delta table URI such as s3a://coinstream/ohlcv_backfill")
        self.tickers = tickers
        self.from_date = from_date
        self.to_date = to_date
        self.table = table
        self.mode = mode
        self.gaps_table = gaps_table
        self.backfills_table = backfills_table
        self.gap_source = gap_source
        self.min_gap_age_s = duration_seconds(min_gap_age, "min_gap_age")
        self.resample_freq = resample_freq
        self.exchanges = exchanges
        self.tiingo_conn_id = tiingo_conn_id
        self.aws_conn_id = aws_conn_id
        if "{{" not in mode:  # a templated mode is checked when the task runs
            self._check_mode()

    def _check_mode(self) -> str:
        if self.mode not in MODES:
            raise ValueError(f"mode={self.mode!r} must be 'range' (the days from_date..to_date) or 'gaps' "
                             "(the open gaps of gaps_table)")
        if self.mode == "range" and not (self.from_date and self.to_date):
            raise ValueError(f"mode='range' needs from_date and to_date (got {self.from_date!r}, {self.to_date!r}); "
                             "pass days like '2026-01-05', or mode='gaps' with gaps_table")
        if self.mode == "gaps" and not self.gaps_table:
            raise ValueError("mode='gaps' needs gaps_table, the feed_gaps Delta table "
                             "(e.g. s3a://coinstream/feed_gaps)")
        return self.mode

    def execute(self, context: Context) -> dict[str, Any]:
        try:
            mode = self._check_mode()
        except ValueError as error:
            raise AirflowFailException(str(error)) from None
        tiingo, delta = TiingoHook(self.tiingo_conn_id), DeltaTableHook(self.aws_conn_id)
        if mode == "gaps":
            return self._backfill_gaps(tiingo, delta)
        return self._backfill_range(tiingo, delta)

    @property
    def _exchange(self) -> str:
        return ",".join(sorted(self.exchanges)) if self.exchanges else ALL_EXCHANGES

    def _days(self) -> tuple[date | None, date | None]:
        start = parse_day(self.from_date, "from_date") if self.from_date else None
        end = parse_day(self.to_date, "to_date") if self.to_date else None
        if start is not None and end is not None and end <= start:
            raise AirflowFailException(f"to_date={end} is not after from_date={start}; to_date is exclusive: "
                                       f"pass {start + _DAY} to backfill {start} alone")
        return start, end

    def _fetch_day(self, tiingo: TiingoHook, day: date) -> list[dict[str, Any]]:
        # A day per request keeps 1-minute bars under Tiingo's per-request cap.
        return tiingo.prices(self.tickers, day.isoformat(), (day + _DAY).isoformat(), self.resample_freq,
                             self.exchanges)

    def _backfill_range(self, tiingo: TiingoHook, delta: DeltaTableHook) -> dict[str, Any]:
        start, end = self._days()
        assert start is not None and end is not None
        backfilled_at = datetime.now(UTC)
        parts, day = [], start
        while day < end:
            parts.append(bars_table(self._fetch_day(tiingo, day), _midnight(day), _midnight(day + _DAY),
                                    self.resample_freq, self._exchange, backfilled_at))
            day += _DAY
        bars = pa.concat_tables(parts)
        log.info("backfill_fetched", tickers=self.tickers, start=str(start), end=str(end), bars=bars.num_rows)
        result = {"mode": "range", "rows": bars.num_rows, "table": self.table, "version": None,
                  "backfilled_at": backfilled_at.isoformat()}
        if bars.num_rows == 0:
            log.warning("backfill_empty", tickers=self.tickers, start=str(start), end=str(end))
            return result
        result["version"] = self._write_bars(delta, bars, start, end)
        return result

    def _backfill_gaps(self, tiingo: TiingoHook, delta: DeltaTableHook) -> dict[str, Any]:
        from deltalake import write_deltalake

        assert self.gaps_table is not None
        since, until = self._days()
        backfills_table = self.backfills_table or backfills_table_beside(self.gaps_table)
        try:
            gaps_delta = delta.open(self.gaps_table)
        except DeltaTableNotFoundError:
            raise AirflowSkipException(f"no feed_gaps table at {self.gaps_table} yet: no gap was recorded") from None
        try:
            done = backfilled_gap_ids(delta.open(backfills_table))
        except DeltaTableNotFoundError:
            done = set()
        backfilled_at = datetime.now(UTC)
        try:
            gaps = open_gaps(gaps_delta, self.gaps_table, done, source=self.gap_source,
                             ended_before=backfilled_at - timedelta(seconds=self.min_gap_age_s or 0),
                             since=_midnight(since) if since else None, until=_midnight(until) if until else None)
        except FeedGapsTableError as error:
            raise AirflowFailException(str(error)) from None
        if not gaps:
            raise AirflowSkipException(f"no open gap of {self.gap_source!r} in {self.gaps_table} "
                                       f"({len(done)} backfilled already)")
        step = frequency_delta(self.resample_freq)
        windows = merged_windows(gap.window(step) for gap in gaps)
        bars = self._window_bars(tiingo, windows, backfilled_at)
        log.info("gap_backfill_fetched", gaps=len(gaps), windows=len(windows), bars=bars.num_rows,
                 tickers=self.tickers)
        version = None
        if bars.num_rows:
            first, last = windows[0][0].date(), (windows[-1][1] - timedelta(microseconds=1)).date()
            version = self._write_bars(delta, bars, first, last + _DAY, windows)
        records = backfill_records(gaps, step, [_bars_in(bars, gap.window(step)) for gap in gaps],
                                   tickers=self.tickers, exchange=self._exchange, resample_freq=self.resample_freq,
                                   bars_table=self.table, backfilled_at=backfilled_at)
        uri, options = delta_rs_uri(backfills_table), delta.storage_options(backfills_table)
        write_deltalake(uri, records, mode="append", storage_options=options, name="feed_gap_backfills",
                        description="Feed gaps backfilled with Tiingo REST bars: a gap_id here is no longer open")
        log.info("gap_backfill_written", gaps=len(gaps), bars=bars.num_rows, table=self.table,
                 backfills_table=backfills_table)
        return {"mode": "gaps", "gaps": len(gaps), "gap_ids": [gap.gap_id for gap in gaps], "rows": bars.num_rows,
                "table": self.table, "version": version, "backfills_table": backfills_table,
                "backfilled_at": backfilled_at.isoformat()}

    def _window_bars(self, tiingo: TiingoHook, windows: list[tuple[datetime, datetime]],
                     backfilled_at: datetime) -> pa.Table:
        fetched = {day: self._fetch_day(tiingo, day.date()) for day in days_of(windows)}
        parts = [bars_table(rows, max(start, day), min(end, day + _DAY), self.resample_freq, self._exchange,
                            backfilled_at)
                 for start, end in windows for day, rows in fetched.items() if day < end and start < day + _DAY]
        return pa.concat_tables(parts)

    def _write_bars(self, delta: DeltaTableHook, bars: pa.Table, first_day: date, end_day: date,
                    windows: list[tuple[datetime, datetime]] | None = None) -> int:
        """Replace the table's bars of these days (and windows), tickers, exchange and frequency; return the version."""
        from deltalake import DeltaTable, write_deltalake

        uri, options = delta_rs_uri(self.table), delta.storage_options(self.table)
        if DeltaTable.is_deltatable(uri, storage_options=options):
            tickers = ", ".join(f"'{ticker}'" for ticker in sorted(set(self.tickers)))
            predicate = (f"bar_date >= '{first_day.isoformat()}' AND bar_date < '{end_day.isoformat()}' "
                         f"AND ticker IN ({tickers}) AND exchange = '{self._exchange}' "
                         f"AND resample_freq = '{self.resample_freq}'")
            if windows:
                predicate += " AND (" + " OR ".join(
                    f"(window_start >= '{start.isoformat()}' AND window_start < '{end.isoformat()}')"
                    for start, end in windows) + ")"
            write_deltalake(uri, bars, mode="overwrite", predicate=predicate, storage_options=options)
        else:
            write_deltalake(uri, bars, mode="error", partition_by=["bar_date"], storage_options=options,
                            name="ohlcv_backfill", description="OHLCV bars backfilled from Tiingo REST")
        version = DeltaTable(uri, storage_options=options).version()
        log.info("backfill_written", table=self.table, rows=bars.num_rows, version=version)
        return version


def _bars_in(bars: pa.Table, window: tuple[datetime, datetime]) -> int:
    """How many bars start in the window."""
    import pyarrow.compute as pc

    starts = bars.column("window_start")
    mask = pc.and_(pc.greater_equal(starts, pa.scalar(window[0], starts.type)),
                   pc.less(starts, pa.scalar(window[1], starts.type)))
    return int(pc.sum(mask).as_py() or 0)
