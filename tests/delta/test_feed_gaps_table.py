"""Every hole is a record, in the lake: the processor writes the feed gaps topic to the ``feed_gaps``
table, one row per gap_id however often a gap was sent, a later record of a gap only widening it."""

from __future__ import annotations

import pytest
from confluent_kafka import Producer

from coinstream.core import FeedGap
from coinstream.core.kafka import FeedGapAvroCodec, producer_config

from ..pipelines import FULL_TRANSFORMS
from ..trades import valid_trades

pytestmark = [pytest.mark.spark, pytest.mark.stack]

SECOND = 1_000_000
T0_US = 1_790_000_000 * SECOND
SINKS = [{"name": "delta", "input": "feed_gaps"}]


def send_gaps(kafka_settings, gaps: list[FeedGap]) -> None:
    codec = FeedGapAvroCodec.for_kafka(kafka_settings)
    producer = Producer(producer_config(kafka_settings))
    for gap in gaps:
        producer.produce(kafka_settings.feed_gaps_topic, key=gap.source.encode(), value=codec.encode(gap))
    assert producer.flush(60) == 0


def gap(start_s: float, end_s: float, reason: str, gap_id: str = "") -> FeedGap:
    return FeedGap(source="tiingo", session_id="s-1", gap_start=int(T0_US + start_s * SECOND),
                   gap_end=int(T0_US + end_s * SECOND), reason=reason, recorded_time=T0_US + 100 * SECOND,
                   gap_id=gap_id)


def test_the_feed_gaps_table_keeps_one_row_per_gap_and_the_widest_end(run_pipeline, produce, kafka_settings, lake):
    produce(valid_trades(3))  # the processor needs the trades topic's schema; the trades go through no feed_gaps sink
    killed, dropped = gap(0, 12.5, "ingestor killed"), gap(30, 31, "connection lost")
    send_gaps(kafka_settings, [killed, dropped, killed])               # a gap re-sent from the spool

    first = run_pipeline(FULL_TRANSFORMS, SINKS, name="gaps")

    assert first.reason == "completed"
    rows = {row["gap_id"]: row for row in lake.read("feed_gaps").to_pylist()}
    assert set(rows) == {killed.gap_id, dropped.gap_id}
    assert rows[killed.gap_id]["seconds"] == 12.5
    assert rows[killed.gap_id]["reason"] == "ingestor killed"
    assert rows[killed.gap_id]["missing_trades"] is None
    assert list(lake.read("feed_gaps").column_names) == ["gap_id", "source", "session_id", "gap_start", "gap_end",
                                                          "seconds", "reason", "missing_trades", "recorded_time"]

    # The same gaps again: one wider (replaces the row), one narrower (does not).
    send_gaps(kafka_settings, [gap(0, 20, "ingestor killed", gap_id=killed.gap_id),
                               gap(30, 30.5, "connection lost", gap_id=dropped.gap_id)])
    run_pipeline(FULL_TRANSFORMS, SINKS, name="gaps")

    rows = {row["gap_id"]: row for row in lake.read("feed_gaps").to_pylist()}
    assert len(lake.read("feed_gaps")) == 2
    assert (rows[killed.gap_id]["seconds"], rows[dropped.gap_id]["seconds"]) == (20.0, 1.0)
