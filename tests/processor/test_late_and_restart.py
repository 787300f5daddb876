"""Late trades and checkpoints: a trade that reached the ingestor later than the watermark lands in
late_trades with how late it was, not nowhere; a stop mid-stream followed by a restart processes every
record exactly once."""

from __future__ import annotations

import pytest

from coinstream.spark.processor import ProcessorOptions
from coinstream.spark.sinks.memory import memory_batches, memory_rows

from ..pipelines import FULL_TRANSFORMS
from ..trades import at, iso, trade

pytestmark = [pytest.mark.spark, pytest.mark.stack]

DEDUP = [{"name": "validate"}, {"name": "deduplicate", "watermark": "10 minutes"}]


def test_a_trade_later_than_the_watermark_lands_in_late_trades_with_how_late_it_was(run_pipeline, produce):
    sinks = [{"name": "memory", "input": "trades", "table": "late_test_trades"},
             {"name": "memory", "input": "late_trades", "table": "late_test_late"},
             {"name": "memory", "input": "ohlcv_1m", "table": "late_test_bars", "output_mode": "update"}]
    produce([
        trade("a1", 0), trade("a2", 60),
        trade("slow", 30, ingest_delay_s=9 * 60),           # reached the ingestor 9 min late: on time
        trade("late", 0, ingest_delay_s=12 * 60 + 3),       # 12 min 3 s late: beyond the 10-minute watermark
        trade("a1", 0),                                     # a re-sent copy: a duplicate, in no table
    ])

    report = run_pipeline(FULL_TRANSFORMS, sinks)

    assert sorted(row["trade_id"] for row in memory_rows("late_test_trades")) == ["a1", "a2", "slow"]
    late = memory_rows("late_test_late")
    assert [(row["trade_id"], row["late_by_ms"]) for row in late] == [("late", 723_000.0)]
    assert late[0]["reason"] == (f"trade_time {iso(0)} is 12 min 3 s behind its ingest_time {iso(723)} "
                                 "(deduplicate watermark 10 minutes)")
    assert "_recheck" not in late[0]
    # The bars count exactly the trades that landed in trades.
    bars = {row["window_start"]: row["trade_count"] for row in memory_rows("late_test_bars")}
    assert bars == {at(0): 2, at(60): 1}
    # Counted where the hooks see it; nothing dropped behind a watermark anywhere.
    assert sum(int(m.extra.get("late_trades", 0)) for m in report.metrics) == 1
    assert sum(int(m.extra["late_rows_dropped"]) for m in report.metrics) == 0


def test_a_replay_older_than_every_watermark_lands_in_trades_not_nowhere(run_pipeline, produce):
    sinks = [{"name": "memory", "input": "trades", "table": "replay_test_trades"},
             {"name": "memory", "input": "late_trades", "table": "replay_test_late"}]
    produce([trade("now1", 40 * 60), trade("now2", 41 * 60)])
    run_pipeline(DEDUP, sinks)
    # A recording of an hour earlier, replayed now: its trades keep their recorded times.
    produce([trade("old1", 0), trade("old2", 60), trade("now1", 40 * 60)])
    second = run_pipeline(DEDUP, sinks)

    assert sorted(row["trade_id"] for row in memory_rows("replay_test_trades")) == ["now1", "now2", "old1", "old2"]
    assert memory_rows("replay_test_late") == []
    assert sum(int(m.extra["late_rows_dropped"]) for m in second.metrics) == 0


def test_stopped_mid_stream_then_restarted_processes_every_record_once(run_pipeline, produce):
    trades = [trade(f"r{index:04d}", index * 0.5, price=100.0 + index, ticker=("btcusdt", "ethusdt")[index % 2])
              for index in range(600)]
    produce(trades)
    sinks = [{"name": "memory", "input": "trades", "table": "restart_trades"}]
    settings = {"max_offsets_per_trigger": 40, "trigger_interval": "1 second"}

    first = run_pipeline(DEDUP, sinks, settings, options=ProcessorOptions(available_now=False, duration_s=12.0))
    assert first.reason == "duration"
    seen_first = [row["trade_id"] for row in memory_rows("restart_trades")]
    assert 0 < len(seen_first) < 600, "the first run should stop part-way; raise the volume if it finished"
    batches_first = memory_batches("restart_trades")

    second = run_pipeline(DEDUP, sinks, settings)
    assert second.reason == "completed"
    ids = [row["trade_id"] for row in memory_rows("restart_trades")]
    assert len(ids) == 600 and set(ids) == {t.trade_id for t in trades}
    assert min(memory_batches("restart_trades")) == min(batches_first)
    assert max(memory_batches("restart_trades")) > max(batches_first)
