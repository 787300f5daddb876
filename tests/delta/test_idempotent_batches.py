"""A micro-batch Spark hands to foreachBatch twice (a replay after a crash) is written once: Delta's
txnAppId/txnVersion skip it for the MERGE of the aggregates, and the tagged append of the trades
finds its own tag; a checkpoint that restarts below what the table holds is refused, for both."""

from __future__ import annotations

from datetime import datetime

import pytest

from coinstream.lake.location import table_location
from coinstream.s3.sinks.delta import transaction_version
from coinstream.s3.sinks.delta_batches import IdempotentBatchWrite
from coinstream.s3.sinks.tagged_append import (
    CheckpointResetError,
    LandedBatch,
    TaggedBatchAppend,
    commit_tag,
    reset_error,
    tagged_batch,
    tagged_commit,
)

pytestmark = [pytest.mark.spark, pytest.mark.stack]

COLUMNS = ["window_start", "ticker", "exchange", "close", "trade_count"]
W0, W1 = datetime(2026, 1, 1, 0, 0), datetime(2026, 1, 1, 0, 1)


def versions(spark, uri: str) -> int:
    return spark.sql(f"DESCRIBE HISTORY delta.`{uri}`").count()


def test_a_replayed_merge_batch_writes_nothing_and_the_next_batch_upserts(spark, lake_s3, lake):
    uri = f"s3a://{lake_s3.bucket}/{lake_s3.prefix}bars"
    reported: list[tuple[int, dict]] = []
    write = IdempotentBatchWrite(uri=uri, app_id="test-bars", keys=("window_start", "ticker", "exchange"),
                                 partition_by=(), merge_schema=True,
                                 report=lambda batch_id, **extra: reported.append((batch_id, extra)))
    batch0 = spark.createDataFrame([(W0, "btcusdt", "binance", 100.0, 3), (W0, "ethusdt", "binance", 10.0, 1)],
                                   COLUMNS)
    batch1 = spark.createDataFrame([(W0, "btcusdt", "binance", 105.0, 5), (W1, "btcusdt", "binance", 106.0, 1)],
                                   COLUMNS)

    write(batch0, 0)            # creates the table (append carrying txn 0)
    write(batch1, 1)            # MERGE: one update, one insert
    after_two = versions(spark, uri)
    write(batch1, 1)            # replay of batch 1: skipped
    write(batch0, 0)            # replay of batch 0: skipped (it would revert the bar to close 100)

    assert versions(spark, uri) == after_two == 2
    rows = sorted((r["window_start"].minute, r["ticker"], r["close"], r["trade_count"])
                  for r in lake.read("bars", columns=["window_start", "ticker", "close", "trade_count"]).to_pylist())
    assert rows == [(0, "btcusdt", 105.0, 5), (0, "ethusdt", 10.0, 1), (1, "btcusdt", 106.0, 1)]
    assert reported[1] == (1, {"delta_write": "merge", "delta_rows_inserted": 1, "delta_rows_updated": 1})
    assert reported[2] == (1, {"delta_write": "merge", "delta_rows_inserted": 0, "delta_rows_updated": 0})
    assert lake.table("bars").transaction_version("test-bars") == 1


def test_a_merge_table_refuses_a_checkpoint_that_restarts_below_it_and_takes_the_replay(spark, lake_s3, lake):
    location = table_location("merged", None, lake_s3)

    def writer() -> IdempotentBatchWrite:      # a query (re)started: a new writer, as Spark starts one per run
        return IdempotentBatchWrite(uri=location.spark_uri, app_id="q-bars", keys=("window_start", "ticker",
                                                                                  "exchange"),
                                    partition_by=(), merge_schema=True, report=lambda batch_id, **extra: None,
                                    landed_version=lambda: transaction_version(location, lake_s3, "q-bars"))
    bars = [spark.createDataFrame([(W0, "btcusdt", "binance", 100.0 + n, n + 1)], COLUMNS) for n in range(4)]
    first_run = writer()
    for batch_id, batch in enumerate(bars):
        first_run(batch, batch_id)
    assert transaction_version(location, lake_s3, "q-bars") == 3

    with pytest.raises(CheckpointResetError, match=(
            r"already holds batch 3 of query 'q-bars' \(its transaction version\), but the query's checkpoint starts "
            r"at batch 0.*Delta would skip batches 0 to 3 as already written.*restore the checkpoint, or give the "
            r"sink a new query name")):
        writer()(bars[0], 0)
    assert [row["close"] for row in lake.read("merged", columns=["close"]).to_pylist()] == [103.0]

    after_crash = writer()                     # the one replay Spark makes after a crash: skipped, no error
    after_crash(bars[1], 3)
    after_crash(bars[0], 4)                    # and the next batch is written
    assert [row["close"] for row in lake.read("merged", columns=["close"]).to_pylist()] == [100.0]
    assert transaction_version(location, lake_s3, "q-other") is None
    assert transaction_version(table_location("absent", None, lake_s3), lake_s3, "q-bars") is None


def test_a_replayed_append_batch_writes_nothing(spark, lake_s3, lake):
    uri = f"s3a://{lake_s3.bucket}/{lake_s3.prefix}appended"
    write = IdempotentBatchWrite(uri=uri, app_id="test-append", keys=(), partition_by=("ticker",),
                                 merge_schema=True, report=lambda batch_id, **extra: None)
    batch = spark.createDataFrame([(W0, "btcusdt", "binance", 1.0, 1), (W0, "ethusdt", "kraken", 2.0, 1)], COLUMNS)

    write(batch, 7)
    write(batch, 7)

    assert lake.read("appended").num_rows == 2
    assert lake.table("appended").metadata().partition_columns == ["ticker"]


def test_a_tagged_append_replayed_by_a_restarted_query_writes_nothing(spark, lake_s3, lake):
    uri = f"s3a://{lake_s3.bucket}/{lake_s3.prefix}tagged"
    reported: list[tuple[int, dict]] = []
    batch = spark.createDataFrame([(W0, "btcusdt", "binance", 1.0, 1), (W0, "ethusdt", "kraken", 2.0, 1)], COLUMNS)
    later = spark.createDataFrame([(W1, "solusdc", "okx", 3.0, 1)], COLUMNS)

    first_run = TaggedBatchAppend(uri, "q-trades", ("ticker",), True, lambda b, **extra: reported.append((b, extra)))
    first_run(batch, 0)
    first_run(batch, 1)
    # A crash after batch 1's Delta commit, before Spark's commit log: the restarted query replays batch 1.
    restarted = TaggedBatchAppend(uri, "q-trades", ("ticker",), True, lambda b, **extra: reported.append((b, extra)))
    restarted(batch, 1)
    restarted(later, 2)

    assert lake.read("tagged").num_rows == 5          # batch 0, batch 1 once, batch 2
    assert [extra["delta_write"] for _, extra in reported] == ["append", "append", "skipped", "append"]
    assert lake.table("tagged").metadata().partition_columns == ["ticker"]
    tags = [tagged_batch(entry.get("userMetadata"), "q-trades") for entry in lake.table("tagged").history()]
    assert sorted(tag for tag in tags if tag is not None) == [0, 1, 2]


def test_a_checkpoint_restarting_below_the_table_is_refused_with_the_way_out(spark, lake_s3, lake):
    uri = f"s3a://{lake_s3.bucket}/{lake_s3.prefix}reset"
    batch = spark.createDataFrame([(W0, "btcusdt", "binance", 1.0, 1)], COLUMNS)
    TaggedBatchAppend(uri, "q-reset", (), True, lambda b, **extra: None)(batch, 5)

    fresh_checkpoint = TaggedBatchAppend(uri, "q-reset", (), True, lambda b, **extra: None)
    with pytest.raises(CheckpointResetError, match=r"already holds batch 5 of query 'q-reset'.*starts at batch 0"
                                                   r".*restore the checkpoint, or give the sink a new query name"):
        fresh_checkpoint(batch, 0)
    other_query = TaggedBatchAppend(uri, "q-other", (), True, lambda b, **extra: None)
    other_query(batch, 0)                              # another query's batch ids are its own
    assert lake.read("reset").num_rows == 2


def test_commit_tags_name_their_query():
    assert tagged_batch(commit_tag("q", 7), "q") == 7
    assert tagged_batch(commit_tag("q", 7), "other") is None
    assert tagged_batch(None, "q") is None
    assert tagged_batch("written by hand", "q") is None


@pytest.mark.parametrize("write", ["tagged append", "merge"])
def test_a_replaced_checkpoint_is_refused_even_when_its_batch_ids_meet_the_old_ones(spark, lake_s3, lake, tmp_path,
                                                                                   write):
    # The old query committed only batch 0; a new checkpoint starts at batch 0 too. Judged by batch ids alone
    # that batch would be skipped as "already written" and its trades lost without a word.
    name = "replaced" if write == "tagged append" else "replaced_merge"
    uri = f"s3a://{lake_s3.bucket}/{lake_s3.prefix}{name}"
    location = table_location(name, None, lake_s3)

    def sink():
        if write == "tagged append":
            return TaggedBatchAppend(uri, "q-replaced", (), True, lambda b, **extra: None)
        return IdempotentBatchWrite(uri=uri, app_id="q-replaced", keys=("window_start", "ticker", "exchange"),
                                    partition_by=(), merge_schema=True, report=lambda b, **extra: None,
                                    landed_version=lambda: transaction_version(location, lake_s3, "q-replaced"))
    source = tmp_path / "source"
    spark.createDataFrame([(W0, "btcusdt", "binance", 1.0, 1)], COLUMNS).write.parquet(str(source / "part-a"))
    schema = spark.read.parquet(str(source / "part-a")).schema

    def run(checkpoint: str) -> None:
        query = (spark.readStream.schema(schema).parquet(str(source / "*"))
                 .writeStream.queryName("q-replaced").option("checkpointLocation", str(tmp_path / checkpoint))
                 .trigger(availableNow=True)
                 .foreachBatch(sink()).start())
        query.awaitTermination()

    run("first")
    run("first")                                       # the same checkpoint again: nothing new, nothing refused
    assert lake.read(name).num_rows == 1
    spark.createDataFrame([(W1, "ethusdt", "kraken", 2.0, 1)], COLUMNS).write.parquet(str(source / "part-b"))

    with pytest.raises(Exception, match=r"written from another checkpoint.*restore the checkpoint, or give the sink "
                                        r"a new query name"):
        run("second")                                  # a new checkpoint, batch 0 again
    assert lake.read(name).num_rows == 1               # nothing written twice, and the refusal said so
    run("first")                                       # the kept checkpoint goes on: part-b lands once
    assert lake.read(name).num_rows == 2
    tags = [entry.get("userMetadata") for entry in lake.table(name).history() if entry.get("userMetadata")]
    assert all('"checkpoint":' in tag for tag in tags) and len(tags) == 2


def test_commit_tags_name_their_checkpoint_and_a_mismatch_is_a_reset():
    landed = tagged_commit(commit_tag("q", 0, "id-a"), "q")

    assert landed == LandedBatch(0, "id-a")
    assert tagged_commit(commit_tag("q", 3), "q") == LandedBatch(3, None)
    assert reset_error("s3a://b/t", "q", landed, 0, "id-a") is None          # a replay from the same checkpoint
    assert reset_error("s3a://b/t", "q", landed, 1, "id-a") is None          # the next batch
    assert "written from another checkpoint (query id id-a; this one is id-b)" in reset_error(
        "s3a://b/t", "q", landed, 0, "id-b")
    assert reset_error("s3a://b/t", "q", LandedBatch(0, None), 0, "id-b") is None  # an old tag: batch ids decide
    assert "already holds batch 4" in reset_error("s3a://b/t", "q", LandedBatch(4, None), 0, "id-b")
