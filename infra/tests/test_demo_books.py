"""The demo's books without a stack: committed offsets from a checkpoint folder, the arithmetic of
the summary, and the live view's figures."""

from __future__ import annotations

import json

import pytest

from coinstream.devstack.demo.accounting import FeedCounts, lowest, settle
from coinstream.devstack.demo.checkpoints import behind, committed_offsets, reached
from coinstream.devstack.demo.kafka_range import KafkaTrade
from coinstream.devstack.demo.live_view import PipelineFigures
from coinstream.devstack.demo.table_commits import LatencyHistogram

TOPIC = "crypto.trades.v1"


def write_batch(checkpoint, batch_id: int, offsets: dict[int, int], committed: bool) -> None:
    """Write a batch's offset log entry as Spark does (and its commit marker when ``committed``)."""
    (checkpoint / "offsets").mkdir(parents=True, exist_ok=True)
    (checkpoint / "commits").mkdir(parents=True, exist_ok=True)
    metadata = {"batchWatermarkMs": 0, "batchTimestampMs": 1, "conf": {}}
    sources = {TOPIC: {str(p): o for p, o in offsets.items()}}
    (checkpoint / "offsets" / str(batch_id)).write_text(f"v1\n{json.dumps(metadata)}\n{json.dumps(sources)}")
    if committed:
        (checkpoint / "commits" / str(batch_id)).write_text('v1\n{"nextBatchWatermarkMs":0}')


def test_committed_offsets_are_those_of_the_newest_committed_batch_not_the_planned_one(tmp_path):
    write_batch(tmp_path, 0, {0: 100, 1: 50}, committed=True)
    write_batch(tmp_path, 1, {0: 180, 1: 90}, committed=True)
    write_batch(tmp_path, 2, {0: 400, 1: 300}, committed=False)  # planned, still running

    committed = committed_offsets(tmp_path, TOPIC)

    assert committed == {0: 180, 1: 90}
    assert not reached(committed, {0: 400, 1: 300})
    assert reached(committed, {0: 180, 1: 90, 2: 0})  # an empty partition needs no record
    assert behind(committed, {0: 150, 1: 0}, {0: 400, 1: 300}) == 220 + 210


def test_a_query_that_committed_nothing_has_processed_nothing(tmp_path):
    write_batch(tmp_path, 0, {0: 100}, committed=False)

    assert committed_offsets(tmp_path, TOPIC) == {}
    assert committed_offsets(tmp_path / "missing", TOPIC) == {}
    assert not reached({}, {0: 1})


def trades(count: int, partition: int = 0, prefix: str = "t") -> list[KafkaTrade]:
    return [KafkaTrade(partition, offset, f"{prefix}{offset}") for offset in range(count)]


FEED = FeedCounts(frames_sent=105, trades_received=100, dead_letters_received=5,
                  malformed_sent=5, invalid_sent=2)


def test_every_frame_is_accounted_for_and_nothing_is_lost_when_all_landed():
    in_kafka = trades(100)
    lake = [t.trade_id for t in in_kafka[:98]]
    quarantine = [t.trade_id for t in in_kafka[98:]]

    account = settle(FEED, in_kafka, 5, lake, quarantine, late_ids=[], processed={0: 100}, earlier_runs_landed=7)

    assert (account.landed, account.quarantined, account.dead_letters_in_kafka) == (98, 2, 5)
    assert (account.lost, account.not_yet_landed, account.duplicates) == (0, 0, 0)
    assert account.balanced
    assert account.earlier_runs_landed == 7


def test_trades_the_processor_has_not_reached_are_not_yet_landed_not_lost():
    in_kafka = trades(100)
    lake = [t.trade_id for t in in_kafka[:60]]

    account = settle(FEED, in_kafka, 5, lake, [], late_ids=[], processed={0: 60}, earlier_runs_landed=0)

    assert account.not_yet_landed == 40
    assert account.lost == 0
    assert account.balanced


def test_a_trade_the_processor_passed_that_is_in_no_table_is_lost():
    in_kafka = trades(100)
    lake = [t.trade_id for t in in_kafka if t.offset != 17]

    account = settle(FEED, in_kafka, 5, lake, [], late_ids=[], processed={0: 100}, earlier_runs_landed=0)

    assert account.lost == account.lost_after_kafka == 1
    assert account.balanced  # lost is one of the lines: they still add up


def test_trades_in_late_trades_are_late_not_lost():
    in_kafka = trades(100)
    lake = [t.trade_id for t in in_kafka[3:]]
    late = [t.trade_id for t in in_kafka[:3]] + ["from-an-earlier-run"]

    account = settle(FEED, in_kafka, 5, lake, [], late_ids=late, processed={0: 100}, earlier_runs_landed=0)

    assert (account.late, account.lost, account.duplicates) == (3, 0, 0)
    assert account.balanced


def test_a_trade_in_two_tables_is_a_duplicate():
    in_kafka = trades(10)
    lake = [t.trade_id for t in in_kafka]
    feed = FeedCounts(frames_sent=10, trades_received=10, dead_letters_received=0)

    account = settle(feed, in_kafka, 0, lake, quarantined_ids=["t1"], late_ids=["t2"], processed={0: 10},
                     earlier_runs_landed=0)

    assert (account.landed, account.duplicates, account.lost) == (10, 2, 0)


def test_frames_the_ingestor_never_read_or_kafka_never_acknowledged_are_lost():
    feed = FeedCounts(frames_sent=110, trades_received=100, dead_letters_received=5)
    in_kafka = trades(99)

    account = settle(feed, in_kafka, 5, [t.trade_id for t in in_kafka], [], [], {0: 99}, 0)

    assert (account.frames_not_read, account.ingest_failed, account.lost) == (5, 1, 6)
    assert account.balanced


def test_duplicates_in_the_trades_table_are_counted():
    in_kafka = trades(10)
    lake = [t.trade_id for t in in_kafka] + ["t3", "t3", "t4"]

    feed = FeedCounts(frames_sent=10, trades_received=10, dead_letters_received=0)

    account = settle(feed, in_kafka, 0, lake, [], [], {0: 10}, 0)

    assert account.duplicates == 3
    assert account.lost == 0


def test_processed_offsets_are_the_lowest_of_the_routing_queries():
    assert lowest([{0: 10, 1: 5}, {0: 7}]) == {0: 7, 1: 0}


def test_the_live_view_takes_the_trade_count_after_the_final_flush_and_lags_per_table():
    figures = PipelineFigures()
    figures.absorb_ingest({"event": "ingest_metrics", "trades_acked": 900, "dead_letters": 1, "trades_per_s": 450})
    figures.absorb_ingest({"event": "ingest_finished", "trades_acked": 1000, "dead_letters_acked": 2})
    figures.absorb_processor({"event": "batch_committed", "query": "demo-delta-trades", "kafka_lag": 12})
    figures.absorb_processor({"event": "batch_committed", "query": "demo-delta-ohlcv_1m", "kafka_lag": 30})

    assert (figures.trades_acked, figures.dead_letters) == (1000, 2)
    assert figures.lag_of("trades") == 12 and figures.lag_of("ohlcv_1m") == 30
    assert figures.lag_of("quarantine") is None


@pytest.mark.parametrize("fraction, expected", [(0.5, 500.0), (0.99, 990.0)])
def test_the_latency_histogram_is_within_one_percent(fraction, expected):
    histogram = LatencyHistogram()
    histogram.add([float(ms) for ms in range(1, 1001)])

    assert histogram.percentile(fraction) == pytest.approx(expected, rel=0.011)
    assert LatencyHistogram().percentile(0.99) is None


def test_records_an_earlier_run_left_in_the_spool_are_counted_apart_and_the_books_balance():
    feed = FeedCounts(frames_sent=100, trades_received=100, dead_letters_received=0,
                      resent_on_start=3)
    in_kafka = trades(103)

    account = settle(feed, in_kafka, 0, [t.trade_id for t in in_kafka], [], [], {0: 103}, 0)

    assert (account.resent_from_earlier_run, account.landed, account.ingest_failed, account.lost) == (3, 103, 0, 0)
    assert account.balanced
