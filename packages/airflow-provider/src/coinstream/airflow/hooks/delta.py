"""Delta tables read without a JVM (deltalake + pyarrow): versions, commit times, contents.

Tables are named by URI: ``s3a://bucket/trades`` (as Spark writes them; read as ``s3://``),
``s3://...``, or a local path. S3 credentials come from the standard AWS connection; the URI
delta-rs opens and its storage options are coinstream-lake's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from coinstream.airflow.hooks.s3 import S3Access, s3_access
from coinstream.lake import delta_rs_uri, is_s3_uri

from airflow.sdk import BaseHook

if TYPE_CHECKING:
    from deltalake import DeltaTable


class DeltaTableNotFoundError(FileNotFoundError):
    """No Delta table (no ``_delta_log``) at the URI."""


@dataclass(frozen=True)
class DeltaCommit:
    """One commit of a table's log."""

    version: int
    timestamp: datetime
    operation: str | None


def storage_options_for(table: str, access: S3Access) -> dict[str, str] | None:
    """deltalake storage options for a table: the S3 ones for S3 URIs, none for local paths."""
    return access.delta_storage_options() if is_s3_uri(table) else None


def open_table(table: str, storage_options: dict[str, str] | None) -> DeltaTable:
    """Open the latest version of a table; DeltaTableNotFoundError (with the URI) when there is none."""
    from deltalake import DeltaTable

    uri = delta_rs_uri(table)
    if not DeltaTable.is_deltatable(uri, storage_options=storage_options):
        raise DeltaTableNotFoundError(
            f"no Delta table at {table} (no _delta_log there); check the URI, and that the processor's Delta sink "
            "has written to it at least once")
    return DeltaTable(uri, storage_options=storage_options)


def latest_commit(table: str, storage_options: dict[str, str] | None) -> DeltaCommit | None:
    """The newest commit of a table, or None when the table does not exist yet."""
    try:
        delta = open_table(table, storage_options)
    except DeltaTableNotFoundError:
        return None
    entry = delta.history(limit=1)[0]
    moment = datetime.fromtimestamp(int(entry["timestamp"]) / 1000, tz=UTC)
    return DeltaCommit(version=delta.version(), timestamp=moment, operation=entry.get("operation"))


class DeltaTableHook(BaseHook):
    """Opens Delta tables on S3 (AWS connection) or local disk."""

    conn_name_attr = "aws_conn_id"
    default_conn_name = "aws_default"
    hook_name = "Delta Lake (through the AWS connection)"

    def __init__(self, aws_conn_id: str | None = default_conn_name) -> None:
        super().__init__()
        self.aws_conn_id = aws_conn_id

    def storage_options(self, table: str) -> dict[str, str] | None:
        """deltalake storage options for the table (S3 credentials read from the connection only for S3)."""
        return storage_options_for(table, s3_access(self.aws_conn_id)) if is_s3_uri(table) else None

    def open(self, table: str) -> DeltaTable:
        """The latest version of the table."""
        return open_table(table, self.storage_options(table))

    def latest_commit(self, table: str) -> DeltaCommit | None:
        """The newest commit, or None when no table exists at the URI yet."""
        return latest_commit(table, self.storage_options(table))
