"""A micro-batch Spark hands to foreachBatch twice (a replay after a crash) is written once: Delta's
txnAppId/txnVersion skip it, for the MERGE of the aggregates and for appends."""

from __future__ import annotations

from datetime import datetime

import pytest

from coinstream.s3.sinks.delta_batches import IdempotentBatchWrite

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


def test_a_replayed_append_batch_writes_nothing(spark, lake_s3, lake):
    uri = f"s3a://{lake_s3.bucket}/{lake_s3.prefix}appended"
    write = IdempotentBatchWrite(uri=uri, app_id="test-append", keys=(), partition_by=("ticker",),
                                 merge_schema=True, report=lambda batch_id, **extra: None)
    batch = spark.createDataFrame([(W0, "btcusdt", "binance", 1.0, 1), (W0, "ethusdt", "kraken", 2.0, 1)], COLUMNS)

    write(batch, 7)
    write(batch, 7)

    assert lake.read("appended").num_rows == 2
    assert lake.table("appended").metadata().partition_columns == ["ticker"]
