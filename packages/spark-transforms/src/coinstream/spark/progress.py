"""Micro-batch progress: Spark's StreamingQueryProgress as core's BatchMetrics, and the watcher that
reports each committed batch once to the ``batch_committed`` hook and to structlog."""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import structlog

from coinstream.core import BatchMetrics
from coinstream.spark.api import LATE_TRADES

if TYPE_CHECKING:
    from pyspark.sql.streaming import StreamingQuery

log = structlog.get_logger(__name__)


def _offsets(value: Any) -> dict[str, dict[str, int]]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


def kafka_lag(progress: Mapping[str, Any]) -> int | None:
    """Records in Kafka not yet read after this batch: sum over partitions of latest - end offset."""
    total, known = 0, False
    for source in progress.get("sources") or []:
        latest, end = _offsets(source.get("latestOffset")), _offsets(source.get("endOffset"))
        for topic, partitions in latest.items():
            if not isinstance(partitions, dict):
                continue
            for partition, offset in partitions.items():
                done = end.get(topic, {}).get(partition)
                if done is not None:
                    total += max(0, int(offset) - int(done))
                    known = True
    return total if known else None


_PHASES = {
    "latestOffset": "latest_offset_ms",
    "queryPlanning": "planning_ms",
    "walCommit": "offset_log_ms",
    "addBatch": "add_batch_ms",
    "commitOffsets": "commit_log_ms",
}


def batch_metrics(progress: Mapping[str, Any], pipeline_name: str, stream: str,
                  extra: Mapping[str, float | int | str] | None = None) -> BatchMetrics:
    """Return the BatchMetrics of one StreamingQueryProgress (as a dict, ``json.loads(progress.json)``)."""
    durations = progress.get("durationMs") or {}
    operators = progress.get("stateOperators") or []
    figures: dict[str, float | int | str] = {
        "query": str(progress.get("name") or ""),
        "stream": stream,
        "input_rows_per_second": float(progress.get("inputRowsPerSecond") or 0.0),
        "trigger_ms": float(durations.get("triggerExecution") or 0.0),
        "late_rows_dropped": sum(int(op.get("numRowsDroppedByWatermark") or 0) for op in operators),
        "state_rows": sum(int(op.get("numRowsTotal") or 0) for op in operators),
    }
    # Where the batch's time went: Spark's phases, and the state stores' commits.
    for phase, name in _PHASES.items():
        if durations.get(phase) is not None:
            figures[name] = float(durations[phase])
    if operators:
        figures["state_commit_ms"] = float(sum(int(op.get("commitTimeMs") or 0) for op in operators))
    sink = progress.get("sink") or {}
    if sink.get("numOutputRows") is not None:
        figures["output_rows"] = int(sink["numOutputRows"])
    observed = (progress.get("observedMetrics") or {}).get(LATE_TRADES)
    if isinstance(observed, Mapping) and observed.get("rows") is not None:
        figures["late_trades"] = int(observed["rows"])
    figures.update(extra or {})
    watermark = (progress.get("eventTime") or {}).get("watermark")
    return BatchMetrics(
        role="processor", pipeline_name=pipeline_name, batch_id=int(progress.get("batchId", -1)),
        rows=int(progress.get("numInputRows") or 0),
        rows_per_second=float(progress.get("processedRowsPerSecond") or 0.0),
        duration_ms=float(progress.get("batchDuration") or durations.get("triggerExecution") or 0.0),
        kafka_lag=kafka_lag(progress), watermark=watermark, extra=figures)


#: Batches the watcher keeps for the run's report: about 1 KB each, so ~10 MB at most. The demo's 1 s
#: trigger with four queries makes ~350k a day: an unbounded list grew by ~170 MB a day.
HISTORY_LIMIT = 10_000


class ProgressWatcher:
    """Polls the queries' recent progress; emits each new batch once, in batch order per query.

    Polling (from the thread that runs the processor) instead of a StreamingQueryListener keeps
    the hooks on one thread and works the same on classic and Spark Connect sessions. ``history``
    keeps the last ``history_limit`` batches; ``batches`` and ``rows`` count every batch of the run.
    """

    def __init__(self, pipeline_name: str, emit: Callable[[BatchMetrics], None],
                 history_limit: int = HISTORY_LIMIT) -> None:
        self._pipeline_name = pipeline_name
        self._emit = emit
        self._queries: list[tuple[StreamingQuery, str]] = []
        self._aggregated: set[str] = set()
        self._seen: dict[str, int] = {}
        self._extras: dict[tuple[str, int], dict[str, float | int | str]] = {}
        self._lock = threading.Lock()
        self.history: deque[BatchMetrics] = deque(maxlen=history_limit)
        self.batches: dict[str, int] = {}   # query name -> batches completed this run
        self.rows: dict[str, int] = {}      # query name -> rows of those batches

    def watch(self, query: StreamingQuery, stream: str, aggregated: bool = False) -> None:
        """Follow a started query that writes ``stream`` (``aggregated``: a streaming aggregation)."""
        self._queries.append((query, stream))
        if aggregated:
            self._aggregated.add(stream)

    def reporter(self, query_name: str) -> Callable[..., None]:
        """The ``report(batch_id, **extra)`` callback a sink gets for its query."""

        def report(batch_id: int, **extra: float | int | str) -> None:
            with self._lock:
                self._extras.setdefault((query_name, int(batch_id)), {}).update(extra)

        return report

    def poll(self) -> list[BatchMetrics]:
        """Emit the batches completed since the last poll; return them."""
        emitted = []
        for query, stream in self._queries:
            name = query.name or str(query.id)
            for raw in query.recentProgress:
                # pyspark 4 returns StreamingQueryProgress objects (older: dicts); .json is the full record.
                progress = json.loads(raw.json) if hasattr(raw, "json") else raw
                batch_id = int(progress.get("batchId", -1))
                if batch_id <= self._seen.get(name, -1):
                    continue
                self._seen[name] = batch_id
                with self._lock:
                    extra = self._extras.pop((name, batch_id), {})
                metrics = batch_metrics(progress, self._pipeline_name, stream, extra)
                self._log(metrics)
                self._emit(metrics)
                self.history.append(metrics)
                counted = str(metrics.extra.get("query"))
                self.batches[counted] = self.batches.get(counted, 0) + 1
                self.rows[counted] = self.rows.get(counted, 0) + metrics.rows
                emitted.append(metrics)
            self._forget_extras_before(name, self._seen.get(name, -1))
        return emitted

    def _forget_extras_before(self, name: str, batch_id: int) -> None:
        """Drop what a sink reported for batches whose progress Spark no longer holds (it keeps the last
        100): they will never be emitted, and would otherwise stay for the whole run."""
        with self._lock:
            for key in [key for key in self._extras if key[0] == name and key[1] <= batch_id]:
                del self._extras[key]

    def _log(self, metrics: BatchMetrics) -> None:
        query, stream = metrics.extra.get("query"), metrics.extra.get("stream")
        log.info("batch_committed", query=query, stream=stream,
                 batch_id=metrics.batch_id, rows=metrics.rows, rows_per_second=round(metrics.rows_per_second, 1),
                 duration_ms=metrics.duration_ms, kafka_lag=metrics.kafka_lag, watermark=metrics.watermark)
        late = metrics.extra.get("late_trades", 0)
        if late:
            log.info("late_trades_routed", query=query, batch_id=metrics.batch_id, rows=late,
                     duplicates_dropped=metrics.extra.get("duplicates_dropped", 0))
        dropped = metrics.extra.get("late_rows_dropped", 0)
        if dropped and stream in self._aggregated:
            # The trades are in trades; only this aggregate (a closed window) does not count them.
            log.warning("late_rows_not_aggregated", query=query, stream=stream, batch_id=metrics.batch_id,
                        rows=dropped, watermark=metrics.watermark)
        elif dropped:
            log.error("late_rows_dropped", query=query, stream=stream, batch_id=metrics.batch_id, rows=dropped,
                      watermark=metrics.watermark,
                      hint="a stateful transform dropped rows behind its watermark: they are in no table")
