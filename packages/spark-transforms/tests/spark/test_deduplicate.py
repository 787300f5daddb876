"""deduplicate: one row per trade_id, within a micro-batch and across micro-batches; a trade that reached
the ingestor later than the watermark goes to late_trades saying how late it was, never nowhere."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from coinstream.spark.api import RECHECK

from .conftest import T0, at, trade

pytestmark = [pytest.mark.spark, pytest.mark.timeout(300)]

DEDUPLICATE = [{"name": "deduplicate", "watermark": "10 minutes"}]


def iso(seconds: float) -> str:
    """T0 + seconds as a late reason writes it: ISO 8601, the fraction of a second only when there is one."""
    text = at(seconds).strftime("%Y-%m-%dT%H:%M:%S.%f").rstrip("0").rstrip(".")
    return f"{text}Z"


def test_repeats_of_a_trade_id_in_one_batch_leave_one_row_and_identical_trades_with_two_ids_stay(run_transforms):
    streams = run_transforms(DEDUPLICATE, [
        trade("a", 0, price=100.0), trade("a", 0, price=100.0), trade("a", 0, price=100.0),   # re-sent twice
        trade("b", 0, price=100.0),             # a genuine identical trade: same everything but its id
        trade("c", 5, price=101.0),
    ])

    assert streams.ids("trades") == ["a", "b", "c"]
    assert streams.rows("late_trades") == []


def test_a_trade_later_than_the_watermark_goes_to_late_trades_saying_how_late(run_transforms):
    streams = run_transforms(DEDUPLICATE, [
        trade("on-time", 0),
        trade("just-in", 1, ingest_delay_s=600),              # exactly the watermark: still on time
        trade("slow", 30, ingest_delay_s=9 * 60),
        trade("late", 0, ingest_delay_s=12 * 60 + 3),
        trade("late-fraction", 1.5, ingest_delay_s=600.5),
        trade("days-late", 2, ingest_delay_s=86_400 + 2 * 3_600 + 3 * 60 + 4),
    ])

    assert streams.ids("trades") == ["just-in", "on-time", "slow"]
    late = streams.by_id("late_trades")
    assert {trade_id: (row["reason"], row["late_by_ms"]) for trade_id, row in late.items()} == {
        "late": (f"trade_time {iso(0)} is 12 min 3 s behind its ingest_time {iso(723)} "
                 "(deduplicate watermark 10 minutes)", 723_000.0),
        "late-fraction": (f"trade_time {iso(1.5)} is 10 min 0.5 s behind its ingest_time {iso(602)} "
                          "(deduplicate watermark 10 minutes)", 600_500.0),
        "days-late": (f"trade_time {iso(2)} is 1 d 2 h 3 min 4 s behind its ingest_time {iso(93_786)} "
                      "(deduplicate watermark 10 minutes)", 93_784_000.0),
    }
    assert (late["late"]["price"], late["late"]["trade_time"]) == (100.0, at(0))   # the whole row is kept


def test_the_watermark_setting_decides_what_is_late(run_transforms):
    streams = run_transforms([{"name": "deduplicate", "watermark": "1 minute"}], [
        trade("in", 0, ingest_delay_s=59), trade("out", 0, ingest_delay_s=90)])

    assert streams.ids("trades") == ["in"]
    assert [row["reason"] for row in streams.rows("late_trades")] == [
        f"trade_time {iso(0)} is 1 min 30 s behind its ingest_time {iso(90)} (deduplicate watermark 1 minute)"]


def test_keys_decide_what_is_a_repeat(run_transforms):
    streams = run_transforms([{"name": "deduplicate", "keys": ["ticker", "exchange", "trade_time"]}], [
        trade("x1", 0), trade("x2", 0),                       # same ticker, exchange and time: one of them stays
        trade("y1", 0, exchange="kraken"), trade("z1", 1)])

    ids = streams.ids("trades")
    assert len(ids) == 3 and ids[1:] == ["y1", "z1"] and ids[0] in ("x1", "x2")


def test_rows_older_than_the_watermark_are_marked_for_the_sink_to_recheck(run_transforms):
    """A trade whose ingest_time is older than the watermark may repeat one the deduplication forgot."""
    now = (datetime.now(UTC).replace(tzinfo=None) - T0).total_seconds()
    streams = run_transforms(DEDUPLICATE, [trade("fresh", now - 1), trade("replayed", 0)])

    assert {row["trade_id"]: row[RECHECK] for row in streams.batches("trades")[0]} == {
        "fresh": False, "replayed": True}
    assert RECHECK not in streams.rows("trades")[0]


def test_a_repeat_in_a_later_micro_batch_is_dropped(run_transforms):
    now = (datetime.now(UTC).replace(tzinfo=None) - T0).total_seconds()
    streams = run_transforms(DEDUPLICATE, [trade("a", now - 3), trade("b", now - 2)],
                             [trade("a", now - 3), trade("c", now - 1), trade("c", now - 1)])

    assert {batch_id: sorted(row["trade_id"] for row in rows)
            for batch_id, rows in streams.batches("trades").items() if rows} == {0: ["a", "b"], 1: ["c"]}
