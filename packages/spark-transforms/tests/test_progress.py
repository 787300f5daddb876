"""A Spark progress record becomes core's BatchMetrics with rows, rate, duration, Kafka lag and watermark."""

from __future__ import annotations

import json

from coinstream.spark.progress import ProgressWatcher, batch_metrics, kafka_lag

PROGRESS = {
    "id": "q", "runId": "r", "name": "demo-memory-trades", "batchId": 4, "batchDuration": 812,
    "numInputRows": 1500, "inputRowsPerSecond": 1480.0, "processedRowsPerSecond": 1847.3,
    "durationMs": {"triggerExecution": 812, "addBatch": 640},
    "eventTime": {"watermark": "2026-11-25T10:00:00.000Z", "max": "2026-11-25T10:10:00.000Z"},
    "stateOperators": [{"numRowsTotal": 900, "numRowsDroppedByWatermark": 3}],
    "sources": [{
        "description": "KafkaV2[Subscribe[crypto.trades.v1]]",
        "endOffset": json.dumps({"crypto.trades.v1": {"0": 700, "1": 800}}),
        "latestOffset": json.dumps({"crypto.trades.v1": {"0": 750, "1": 800}}),
    }],
    "sink": {"description": "ForeachBatchSink", "numOutputRows": -1},
}


def test_batch_metrics_carry_what_the_hook_promises():
    metrics = batch_metrics(PROGRESS, "demo", "trades")

    assert (metrics.role, metrics.pipeline_name, metrics.batch_id) == ("processor", "demo", 4)
    assert (metrics.rows, metrics.rows_per_second, metrics.duration_ms) == (1500, 1847.3, 812.0)
    assert metrics.kafka_lag == 50
    assert metrics.watermark == "2026-11-25T10:00:00.000Z"
    assert metrics.extra["late_rows_dropped"] == 3
    assert metrics.extra["state_rows"] == 900
    assert metrics.extra["query"] == "demo-memory-trades" and metrics.extra["stream"] == "trades"


def test_lag_is_unknown_without_kafka_offsets():
    assert kafka_lag({"sources": [{"description": "rate"}]}) is None


class FakeProgress:
    def __init__(self, record: dict) -> None:
        self.json = json.dumps(record)


class FakeQuery:
    name = "demo-memory-trades"
    id = "q"

    def __init__(self) -> None:
        self.recentProgress: list[FakeProgress] = []


def test_the_watcher_emits_each_batch_once_with_the_extras_a_sink_reported():
    emitted = []
    watcher = ProgressWatcher("demo", emitted.append)
    query = FakeQuery()
    watcher.watch(query, "trades")
    watcher.reporter("demo-memory-trades")(4, merged_rows=12)

    query.recentProgress = [FakeProgress({**PROGRESS, "batchId": 3}), FakeProgress(PROGRESS)]
    watcher.poll()
    watcher.poll()

    assert [m.batch_id for m in emitted] == [3, 4]
    assert emitted[1].extra["merged_rows"] == 12
    assert "merged_rows" not in emitted[0].extra


def test_the_late_trades_of_a_batch_are_counted_and_logged(monkeypatch):
    logged: list[tuple[str, str, dict]] = []
    monkeypatch.setattr("coinstream.spark.progress.log.info", lambda event, **kw: logged.append(("info", event, kw)))
    monkeypatch.setattr("coinstream.spark.progress.log.warning",
                        lambda event, **kw: logged.append(("warning", event, kw)))
    monkeypatch.setattr("coinstream.spark.progress.log.error", lambda event, **kw: logged.append(("error", event, kw)))
    watcher = ProgressWatcher("demo", lambda metrics: None)
    late_query, bars_query = FakeQuery(), FakeQuery()
    bars_query.name = "demo-delta-ohlcv_1m"
    watcher.watch(late_query, "late_trades")
    watcher.watch(bars_query, "ohlcv_1m", aggregated=True)
    watcher.reporter("demo-memory-trades")(4, duplicates_dropped=1)
    late_query.recentProgress = [FakeProgress({**PROGRESS, "stateOperators": [],
                                               "observedMetrics": {"late_trades": {"rows": 3}}})]
    bars_query.recentProgress = [FakeProgress({**PROGRESS, "name": "demo-delta-ohlcv_1m"})]

    [late, bars] = watcher.poll()

    assert late.extra["late_trades"] == 3 and "late_trades" not in bars.extra
    events = [(level, event, kw.get("rows")) for level, event, kw in logged if event != "batch_committed"]
    assert events == [("info", "late_trades_routed", 3), ("warning", "late_rows_not_aggregated", 3)]
    assert logged[1][2]["duplicates_dropped"] == 1


def test_rows_a_non_aggregating_query_drops_behind_a_watermark_are_an_error(monkeypatch):
    errors: list[tuple[str, dict]] = []
    monkeypatch.setattr("coinstream.spark.progress.log.error", lambda event, **kw: errors.append((event, kw)))
    watcher = ProgressWatcher("demo", lambda metrics: None)
    query = FakeQuery()
    watcher.watch(query, "trades")
    query.recentProgress = [FakeProgress(PROGRESS)]

    watcher.poll()

    assert [(event, kw["rows"], kw["stream"]) for event, kw in errors] == [("late_rows_dropped", 3, "trades")]


def test_the_history_is_bounded_while_the_run_totals_count_every_batch():
    watcher = ProgressWatcher("demo", lambda metrics: None, history_limit=3)
    query = FakeQuery()
    watcher.watch(query, "trades")
    for batch_id in range(10):
        watcher.reporter("demo-memory-trades")(batch_id + 100, merged_rows=1)  # never emitted: progress skipped it
        query.recentProgress = [FakeProgress({**PROGRESS, "batchId": batch_id, "numInputRows": 10 + batch_id})]
        watcher.poll()

    assert [m.batch_id for m in watcher.history] == [7, 8, 9]
    assert watcher.batches == {"demo-memory-trades": 10}
    assert watcher.rows == {"demo-memory-trades": sum(10 + b for b in range(10))}
    # what a sink reported for batches Spark's progress never showed does not pile up either
    query.recentProgress = [FakeProgress({**PROGRESS, "batchId": 200})]
    watcher.poll()
    assert watcher._extras == {}
