"""Reading the lake's Delta tables without a JVM (deltalake + pyarrow)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.dataset as ds
import structlog
from deltalake import DeltaTable
from deltalake.exceptions import TableNotFoundError

from coinstream.dashboard.table_stats import table_stats
from coinstream.dashboard.views import LakeSnapshot
from coinstream.dashboard.window import DEFAULT_WINDOW_MINUTES, TradeWindow, trade_window, window_expression
from coinstream.lake import credentials_from_environment, delta_rs_options, delta_rs_uri, is_s3_uri, table_rows

log = structlog.get_logger(__name__)

TRADES_PARTITION = "trade_date"  # the sink's partitioning of trades (coinstream-sink-s3's tables.py)
TRADE_COLUMNS = ["trade_id", "ticker", "exchange", "price", "size", "trade_time", "ingest_time"]


class LakeUnavailableError(Exception):
    """The lake's trades table cannot be read (the message says where and why)."""


@dataclass(frozen=True)
class LakeLocation:
    """Where the tables live: a folder URI holding ``trades`` and ``ohlcv_1m``, and how to reach S3."""

    root: str
    endpoint_url: str | None = None
    region: str = "us-east-1"
    path_style: bool = True
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ), repr=False)

    def table_uri(self, table: str) -> str:
        """Return the URI deltalake opens for a table (s3a:// is spelled s3:// there)."""
        return f"{delta_rs_uri(self.root.rstrip('/'))}/{table}"

    def storage_options(self) -> dict[str, str]:
        """Return deltalake's storage options (coinstream-lake's): endpoint and addressing from here,
        credentials from the standard AWS environment variables (never from a file the dashboard writes)."""
        if not is_s3_uri(self.root):
            return {}
        return delta_rs_options(endpoint_url=self.endpoint_url, region=self.region, path_style=self.path_style,
                                credentials=credentials_from_environment(self.environ))


def open_table(location: LakeLocation, table: str) -> DeltaTable | None:
    """Open a table of the lake, or return None when it does not exist (yet)."""
    try:
        return DeltaTable(location.table_uri(table), storage_options=location.storage_options())
    except TableNotFoundError:
        return None


def read_snapshot(location: LakeLocation, window_minutes: float = DEFAULT_WINDOW_MINUTES) -> LakeSnapshot:
    """Read what the page shows: the trades and 1-minute bars of the window (the last ``window_minutes``
    of trades, see :mod:`coinstream.dashboard.window`), the window's quarantined reasons, and the whole
    tables' row counts from their Delta logs. No read grows with the lake, only with the window.

    Raises :class:`LakeUnavailableError` when the trades table does not exist or cannot be reached.
    """
    try:
        trades_table = open_table(location, "trades")
    except Exception as error:  # object_store errors: endpoint down, credentials refused
        raise LakeUnavailableError(
            f"cannot read {location.table_uri('trades')}: {error}; check the S3 endpoint "
            "(`coinstream stack status`) and the AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY variables") from None
    if trades_table is None:
        raise LakeUnavailableError(
            f"no Delta table at {location.table_uri('trades')} yet; run the pipeline (`coinstream demo`) first")
    trades_stats = table_stats(trades_table, "trade_time")
    window = trade_window(trades_stats.last, window_minutes)
    available = set(trades_table.schema().to_arrow().names)
    trades = table_rows(trades_table, [c for c in TRADE_COLUMNS if c in available],
                        window_expression(window, "trade_time", available, TRADES_PARTITION))
    versions = {"trades": trades_table.version()}
    ohlcv: pa.Table | None = None
    ohlcv_table = open_table(location, "ohlcv_1m")
    if ohlcv_table is not None:
        ohlcv = table_rows(ohlcv_table, None, window_expression(window, "window_start", set()))
        versions["ohlcv_1m"] = ohlcv_table.version()
    quarantine: pa.Table | None = None
    quarantined = 0
    quarantine_table = open_table(location, "quarantine")
    if quarantine_table is not None:
        quarantine = table_rows(quarantine_table, ["reason"], _quarantined_in(window, quarantine_table))
        quarantined = table_stats(quarantine_table).rows
        versions["quarantine"] = quarantine_table.version()
    log.debug("lake_snapshot_read", trades=trades.num_rows, trades_total=trades_stats.rows,
              window_start=window.start.isoformat(), versions=versions)
    return LakeSnapshot(trades=trades, ohlcv_1m=ohlcv, table_versions=versions, quarantine=quarantine,
                        window=window, trades_total=trades_stats.rows, first_trade_time=trades_stats.first,
                        quarantined_total=quarantined)


def _quarantined_in(window: TradeWindow, quarantine_table: DeltaTable) -> ds.Expression | None:
    """The quarantine rows of the window by ingest time; undecodable records (no ingest time) always."""
    if "ingest_time" not in quarantine_table.schema().to_arrow().names:
        return None
    return window_expression(window, "ingest_time", set()) | ds.field("ingest_time").is_null()
