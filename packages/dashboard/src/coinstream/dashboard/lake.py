"""Reading the lake's Delta tables without a JVM (deltalake + pyarrow)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import pyarrow as pa
import structlog
from deltalake import DeltaTable
from deltalake.exceptions import TableNotFoundError

from coinstream.dashboard.views import LakeSnapshot
from coinstream.lake import credentials_from_environment, delta_rs_options, delta_rs_uri, is_s3_uri, table_rows

log = structlog.get_logger(__name__)

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


def read_snapshot(location: LakeLocation) -> LakeSnapshot:
    """Read the current version of the trades and ohlcv_1m tables into Arrow.

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
    available = set(trades_table.schema().to_arrow().names)
    trades = table_rows(trades_table, [c for c in TRADE_COLUMNS if c in available])
    versions = {"trades": trades_table.version()}
    ohlcv: pa.Table | None = None
    ohlcv_table = open_table(location, "ohlcv_1m")
    if ohlcv_table is not None:
        ohlcv = table_rows(ohlcv_table)
        versions["ohlcv_1m"] = ohlcv_table.version()
    quarantine: pa.Table | None = None
    quarantine_table = open_table(location, "quarantine")
    if quarantine_table is not None:
        quarantine = table_rows(quarantine_table, ["reason"])
        versions["quarantine"] = quarantine_table.version()
    log.debug("lake_snapshot_read", trades=trades.num_rows, versions=versions)
    return LakeSnapshot(trades=trades, ohlcv_1m=ohlcv, table_versions=versions, quarantine=quarantine)
