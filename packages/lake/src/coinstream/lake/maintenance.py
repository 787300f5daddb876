"""Table maintenance without a JVM: compaction (optionally Z-ordered), vacuum and history, on delta-rs.

Called by ``coinstream delta optimize|vacuum|history`` and, later, by the Airflow provider's tasks;
each function returns what it did as plain data. The Spark processor writes the tables through
Delta's S3 log store, which assumes ONE writer per table; delta-rs here is a second writer. Run
``optimize``/``vacuum`` while no query writes the table (between processor runs, or with the
processor stopped) unless the bucket enforces put-if-absent for both writers.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog

from coinstream.lake.location import TableLocation
from coinstream.lake.reader import LakeReader

log = structlog.get_logger(__name__)

DEFAULT_ZORDER = {"trades": ("ticker",)}
"""Z-order columns per table when none are given: dashboards filter trades by ticker."""
DEFAULT_RETENTION_HOURS = 168
"""Vacuum keeps files removed less than 7 days ago (Delta's default): time travel and slow readers."""


@dataclass(frozen=True, slots=True)
class MaintenanceResult:
    """What a maintenance call did: the table, the operation, its metrics and how long it took."""

    table: str
    operation: str
    metrics: dict[str, Any]
    seconds: float


def _writable(reader: LakeReader, table: str, path: str | None) -> Any:
    from deltalake import DeltaTable

    opened = reader.table(table, path)
    location = reader.location(table, path)
    options = reader.storage_options(location)
    if location.on_s3:
        # delta-rs refuses to commit on S3 without a lock unless told the caller guarantees one writer.
        options = {**options, "AWS_S3_ALLOW_UNSAFE_RENAME": "true"}
        return DeltaTable(location.delta_rs_uri, storage_options=options)
    return opened


def optimize(reader: LakeReader, table: str, path: str | None = None, zorder: Sequence[str] | None = None,
             target_size_mb: int | None = None) -> MaintenanceResult:
    """Compact small files (Z-ordered by ``zorder``; default per table, e.g. trades by ticker)."""
    started = time.monotonic()
    delta = _writable(reader, table, path)
    columns = tuple(zorder) if zorder is not None else DEFAULT_ZORDER.get(table, ())
    target = target_size_mb * 1024 * 1024 if target_size_mb else None
    if columns:
        metrics = delta.optimize.z_order(list(columns), target_size=target)
    else:
        metrics = delta.optimize.compact(target_size=target)
    result = MaintenanceResult(table, "optimize", {"zorder": list(columns), **_plain(metrics)},
                               round(time.monotonic() - started, 2))
    log.info("delta_optimized", table=table, zorder=list(columns), files_added=metrics.get("numFilesAdded"),
             files_removed=metrics.get("numFilesRemoved"), seconds=result.seconds)
    return result


def vacuum(reader: LakeReader, table: str, path: str | None = None, retention_hours: int = DEFAULT_RETENTION_HOURS,
           dry_run: bool = True) -> MaintenanceResult:
    """Delete (or, with ``dry_run``, list) files no version within ``retention_hours`` needs."""
    started = time.monotonic()
    delta = _writable(reader, table, path)
    location = reader.location(table, path)
    one_by_one = not dry_run and location.on_s3 and reader.s3 is not None and reader.s3.endpoint_url is not None
    # Below Delta's 7-day default delta-rs asks for enforce_retention_duration=False: the caller chose it.
    files = delta.vacuum(retention_hours=retention_hours, dry_run=dry_run or one_by_one,
                         enforce_retention_duration=retention_hours >= DEFAULT_RETENTION_HOURS)
    if one_by_one:
        _delete_one_by_one(reader, location, files)
    result = MaintenanceResult(table, "vacuum", {"dry_run": dry_run, "retention_hours": retention_hours,
                                                 "files": sorted(files)}, round(time.monotonic() - started, 2))
    log.info("delta_vacuumed", table=table, dry_run=dry_run, retention_hours=retention_hours, files=len(files),
             seconds=result.seconds)
    return result


def _delete_one_by_one(reader: LakeReader, location: TableLocation, files: list[str]) -> None:
    """Delete with single DeleteObject calls: S3-compatible servers (S3Proxy 2.6) answer 501 to the
    checksum header of the multi-object delete delta-rs sends."""
    from coinstream.lake.bucket import s3_client

    assert reader.s3 is not None and location.bucket is not None and location.key is not None
    client = s3_client(reader.s3.model_copy(update={"bucket": location.bucket}))
    for file in files:
        key = file.split(f"{location.bucket}/", 1)[1] if file.startswith("s3://") else f"{location.key}/{file}"
        client.delete_object(Bucket=location.bucket, Key=key)


def history(reader: LakeReader, table: str, path: str | None = None, limit: int | None = 20) -> list[dict[str, Any]]:
    """Return the table's commits, newest first: version, timestamp (ms), operation, parameters, metrics."""
    return reader.table(table, path).history(limit)


def _plain(metrics: dict[str, Any]) -> dict[str, Any]:
    return {key: (value.total_seconds() if isinstance(value, timedelta) else value) for key, value in metrics.items()}
