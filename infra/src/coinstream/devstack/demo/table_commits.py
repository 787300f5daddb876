"""Following a Delta table's commits as they happen: rows committed, and ingest -> commit latency.

Reads each new ``_delta_log/<version>.json`` once (no JVM, no snapshot rebuild), takes the commit's
timestamp and row counts from ``commitInfo``, and, for tables whose rows carry an ``ingest_time``
(trades, quarantine), reads that one column of each file the commit added: latency = commit time -
ingest time, per row. Aggregated tables (bars, exchange stats) have no ingest time per row: they get
rows and rates, no latency.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlparse

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import structlog
from pyarrow import fs

from coinstream.dashboard import LakeLocation

log = structlog.get_logger(__name__)

WINDOW_S = 60.0
_BUCKET_GROWTH = 1.01  # latency histogram buckets 1 % apart: percentiles within 1 %


def lake_filesystem(location: LakeLocation) -> tuple[fs.FileSystem, str]:
    """Return a pyarrow filesystem for the lake and the root path inside it."""
    parsed = urlparse(location.root)
    if parsed.scheme in ("s3", "s3a"):
        options = location.storage_options()
        if location.endpoint_url:
            # S3-compatible endpoints (the local stack's S3Proxy among them) answer NotImplemented to the
            # flexible-checksum headers recent AWS SDKs send by default; these ask for checksums only
            # where the API requires them. Read once, when the SDK creates its first client.
            os.environ.setdefault("AWS_REQUEST_CHECKSUM_CALCULATION", "when_required")
            os.environ.setdefault("AWS_RESPONSE_CHECKSUM_VALIDATION", "when_required")
        endpoint = urlparse(location.endpoint_url) if location.endpoint_url else None
        filesystem = fs.S3FileSystem(
            access_key=options.get("AWS_ACCESS_KEY_ID"), secret_key=options.get("AWS_SECRET_ACCESS_KEY"),
            session_token=options.get("AWS_SESSION_TOKEN"), region=location.region,
            endpoint_override=endpoint.netloc if endpoint else None, scheme=endpoint.scheme if endpoint else "https",
            force_virtual_addressing=not location.path_style)
        return filesystem, f"{parsed.netloc}{parsed.path}".rstrip("/")
    return fs.LocalFileSystem(), location.root.removeprefix("file://").rstrip("/")


@dataclass
class LatencyHistogram:
    """Millisecond latencies in buckets 1 % apart: bounded memory however long the run."""

    counts: dict[int, int] = field(default_factory=dict)
    total: int = 0

    def add(self, latencies_ms: list[float]) -> None:
        """Count a batch of latencies."""
        log_growth = math.log(_BUCKET_GROWTH)
        for value in latencies_ms:
            bucket = int(math.log(max(value, 1.0)) / log_growth)
            self.counts[bucket] = self.counts.get(bucket, 0) + 1
        self.total += len(latencies_ms)

    def percentile(self, fraction: float) -> float | None:
        """The latency (ms) at ``fraction`` of the counted ones, None when none was counted."""
        if not self.total:
            return None
        wanted, seen = fraction * self.total, 0
        for bucket in sorted(self.counts):
            seen += self.counts[bucket]
            if seen >= wanted:
                return _BUCKET_GROWTH ** (bucket + 1)
        return _BUCKET_GROWTH ** (max(self.counts) + 1)


def _rows_of(commit_info: dict[str, Any]) -> int:
    metrics = commit_info.get("operationMetrics") or {}
    if "numTargetRowsInserted" in metrics:  # MERGE: a bar is a row written whether inserted or updated
        return int(metrics.get("numTargetRowsInserted") or 0) + int(metrics.get("numTargetRowsUpdated") or 0)
    return int(metrics.get("numOutputRows") or 0)


@dataclass
class TableCommits:
    """One table's commits since the follower started (see the module docstring)."""

    location: LakeLocation
    table: str
    ingest_column: str | None = "ingest_time"
    next_version: int | None = None
    commits: int = 0
    rows: int = 0
    histogram: LatencyHistogram = field(default_factory=LatencyHistogram)
    _warned: bool = False
    _recent: deque[tuple[float, int, list[float]]] = field(default_factory=deque)  # (commit s, rows, latencies)

    def __post_init__(self) -> None:
        self._fs, root = lake_filesystem(self.location)
        self._table_path = f"{root}/{self.table}"
        if self.next_version is None:
            self.next_version = self._newest_version() + 1

    def _log_path(self, version: int) -> str:
        return f"{self._table_path}/_delta_log/{version:020d}.json"

    def _newest_version(self) -> int:
        """The table's newest version now (-1 when it has none), so only later commits are followed."""
        selector = fs.FileSelector(f"{self._table_path}/_delta_log", allow_not_found=True)
        versions = [int(info.base_name[:20]) for info in self._fs.get_file_info(selector)
                    if info.base_name.endswith(".json") and info.base_name[:20].isdigit()]
        return max(versions, default=-1)

    def poll(self) -> int:
        """Read the commits written since the previous poll; return how many."""
        read = 0
        while True:
            assert self.next_version is not None
            try:
                with self._fs.open_input_stream(self._log_path(self.next_version)) as stream:
                    lines = stream.read().decode("utf-8").splitlines()
            except FileNotFoundError:
                return read
            except OSError as error:  # the endpoint is down or refuses: the live view goes on without
                if not self._warned:
                    log.warning("demo_commit_read_failed", table=self.table, version=self.next_version,
                                error=str(error))
                    self._warned = True
                return read
            self._absorb([json.loads(line) for line in lines if line.strip()])
            self.next_version += 1
            read += 1

    def _absorb(self, actions: list[dict[str, Any]]) -> None:
        info = next((a["commitInfo"] for a in actions if "commitInfo" in a), {})
        stamp_ms = int(info.get("timestamp") or time.time() * 1000)
        rows = _rows_of(info)
        latencies: list[float] = []
        if self.ingest_column:
            for action in actions:
                if "add" in action and action["add"].get("dataChange", True):
                    latencies.extend(self._latencies(unquote(action["add"]["path"]), stamp_ms))
            self.histogram.add(latencies)
        self.commits += 1
        self.rows += rows
        self._recent.append((stamp_ms / 1000, rows, latencies))
        while self._recent and self._recent[0][0] < stamp_ms / 1000 - WINDOW_S:
            self._recent.popleft()

    def _latencies(self, relative_path: str, commit_ms: int) -> list[float]:
        column = pq.read_table(f"{self._table_path}/{relative_path}", columns=[self.ingest_column],
                               filesystem=self._fs).column(0)
        micros = pc.cast(pc.cast(column, pa.timestamp("us", tz="UTC")), pa.int64()).to_pylist()
        return [commit_ms - m / 1000 for m in micros if m is not None]

    def rows_per_s(self, window_s: float = 10.0) -> float:
        """Rows committed per second over the last ``window_s`` seconds of commits."""
        since = time.time() - window_s
        return sum(rows for stamp, rows, _ in self._recent if stamp > since) / window_s

    def recent_p99_ms(self) -> float | None:
        """p99 of the ingest -> commit latency of the commits in the last minute; None without samples."""
        samples = sorted(value for _, _, values in self._recent for value in values)
        if not samples:
            return None
        return samples[min(len(samples) - 1, int(0.99 * len(samples)))]
