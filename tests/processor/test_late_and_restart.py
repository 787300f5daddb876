"""Event time and checkpoints: late trades inside/outside the watermark, and a stop mid-stream followed
by a restart that processes every record exactly once."""

from __future__ import annotations

import pytest

from coinstream.spark.processor import ProcessorOptions
from coinstream.spark.sinks.memory import memory_batches, memory_rows

from .trades import trade

pytestmark = [pytest.mark.spark, pytest.mark.stack]

DEDUP = [{"name": "validate"}, {"name": "deduplicate", "watermark": "10 minutes"}]


def test_a_late_trade_inside_the_watermark_is_kept_and_one_outside_is_dropped_and_counted(run_pipeline, produce):
    sinks = [{"name": "memory", "input": "trades", "table": "late_trades"}]
    produce([trade("a1", 0), trade("a2", 60), trade("z", 30 * 60)])
    first = run_pipeline(DEDUP, sinks)
    assert sorted(row["trade_id"] for row in memory_rows("late_trades")) == ["a1", "a2", "z"]
    # max event time 30 min - 10 min delay: the watermark is now T0 + 20 min
    assert first.metrics[-1].watermark is not None

    produce([
        trade("inside", 25 * 60),      # 5 min behind the max event time: inside the watermark
        trade("outside", 5 * 60),      # 15 min behind the watermark: too late
        trade("z", 30 * 60),           # redelivered copy of z: a duplicate within the watermark
    ])
    second = run_pipeline(DEDUP, sinks)

    assert sorted(row["trade_id"] for row in memory_rows("late_trades")) == ["a1", "a2", "inside", "z"]
    assert sum(int(m.extra["late_rows_dropped"]) for m in second.metrics) == 1
    assert sum(m.rows for m in second.metrics) == 3


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
