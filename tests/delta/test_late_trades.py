"""Nothing dropped in silence: every trade read from Kafka lands in exactly one of trades, quarantine and
late_trades; a late trade says how late it was; a late copy of a trade already in trades is a duplicate;
a copy older than the deduplication's memory is found in the table instead of written twice."""

from __future__ import annotations

from collections import Counter

import pytest

from ..pipelines import FULL_TRANSFORMS
from ..trades import iso, trade, valid_trades
from .test_tables import TRADE_TYPES, spark_schema

pytestmark = [pytest.mark.spark, pytest.mark.stack]

ROW_TABLES = ("trades", "quarantine", "late_trades")
SINKS = [{"name": "delta", "input": stream} for stream in (*ROW_TABLES, "ohlcv_1m")]


def ids(lake, table: str) -> list[str]:
    return lake.read(table, columns=["trade_id"]).column("trade_id").to_pylist()


def sink_figure(report, stream: str, name: str) -> int:
    return sum(int(m.extra.get(name, 0)) for m in report.metrics if m.extra.get("stream") == stream)


def test_every_trade_lands_in_exactly_one_row_table_and_a_late_one_says_how_late(run_pipeline, produce, spark, lake,
                                                                                   lake_s3):
    on_time = valid_trades(60, spacing_s=1.0)
    late = [trade("late-1", 10.0, ingest_delay_s=12 * 60 + 3), trade("late-2", 20.0, ingest_delay_s=5400)]
    invalid = trade("bad-size", 5.0, size=-2.0)
    produce([*on_time, *late, invalid, on_time[0], late[0]])          # and a re-sent copy of two of them

    report = run_pipeline(FULL_TRANSFORMS, SINKS, name="late")

    assert report.reason == "completed"
    landed = Counter(trade_id for table in ROW_TABLES for trade_id in ids(lake, table))
    assert set(landed) == {t.trade_id for t in (*on_time, *late, invalid)}
    assert [trade_id for trade_id, times in landed.items() if times != 1] == []
    assert sorted(ids(lake, "late_trades")) == ["late-1", "late-2"]

    rows = {row["trade_id"]: row for row in lake.read("late_trades").to_pylist()}
    assert rows["late-1"]["reason"] == (f"trade_time {iso(10)} is 12 min 3 s behind its ingest_time {iso(733)} "
                                        "(deduplicate watermark 10 minutes)")
    assert rows["late-1"]["late_by_ms"] == 723_000.0
    assert rows["late-2"]["reason"].startswith(f"trade_time {iso(20)} is 1 h 30 min 0 s behind its ingest_time")
    base = f"s3a://{lake_s3.bucket}/{lake_s3.prefix}"
    assert spark_schema(spark, base + "late_trades") == [*TRADE_TYPES, ("reason", "string"), ("late_by_ms", "double")]
    assert lake.table("late_trades").metadata().partition_columns == []
    # The bars count what landed in trades, the late trades not.
    assert sum(lake.read("ohlcv_1m", columns=["trade_count"]).column("trade_count").to_pylist()) == 60
    # The hooks see the late trades: two, and the re-sent copy found in late_trades itself.
    assert sink_figure(report, "late_trades", "late_trades") == 3
    assert sink_figure(report, "late_trades", "duplicates_dropped") == 1


def test_a_late_copy_of_a_trade_already_in_trades_is_a_duplicate_not_a_late_trade(run_pipeline, produce, lake):
    first = trade("x", 0.0)
    produce([first, trade("y", 1.0)])
    run_pipeline(FULL_TRANSFORMS, SINKS[:3], name="copy")
    # The same trade again, now stamped 12 minutes late (e.g. re-sent by an ingestor whose clock was behind),
    # next to a genuinely late one.
    produce([trade("x", 0.0, ingest_delay_s=12 * 60), trade("z", 2.0, ingest_delay_s=12 * 60)])

    second = run_pipeline(FULL_TRANSFORMS, SINKS[:3], name="copy")

    assert sorted(ids(lake, "trades")) == ["x", "y"]
    assert ids(lake, "late_trades") == ["z"]
    assert sink_figure(second, "late_trades", "late_trades") == 2
    assert sink_figure(second, "late_trades", "duplicates_dropped") == 1


def test_a_copy_older_than_the_deduplication_memory_is_found_in_the_table_not_written_twice(run_pipeline, produce,
                                                                                            lake):
    trades = valid_trades(50, prefix="o", spacing_s=1.0)
    produce(trades)
    run_pipeline(FULL_TRANSFORMS, SINKS[:1], name="old")
    # A new query over the same topic and table (its state knows no trade_id), e.g. a renamed sink: every
    # trade is older than the watermark by its ingest_time, so each is checked against the table.
    replayed = run_pipeline(FULL_TRANSFORMS, [{**SINKS[0], "query": "delta-trades-again"}], name="old")

    landed = ids(lake, "trades")
    assert len(landed) == 50 and set(landed) == {t.trade_id for t in trades}
    assert sink_figure(replayed, "trades", "duplicates_dropped") == 50
