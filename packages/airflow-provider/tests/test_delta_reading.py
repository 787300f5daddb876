"""Delta read without a JVM: the quality checks, the commit sensor and its trigger, the backfill."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest
from airflow.sdk.exceptions import AirflowFailException
from deltalake import DeltaTable, write_deltalake

from coinstream.airflow.delta_quality import QualityExpectations, check_table
from coinstream.airflow.hooks.s3 import S3Access
from coinstream.airflow.operators.backfill import TiingoBackfillOperator
from coinstream.airflow.operators.quality import DeltaQualityCheckOperator
from coinstream.airflow.sensors.delta_commit import DeltaCommitSensor
from coinstream.airflow.triggers.delta_commit import DeltaCommitTrigger

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def trades(tmp_path):
    """A small trades table: one duplicated trade_id, one null price, newest trade at 11:30."""
    table = pa.table({
        "trade_id": ["a", "b", "c", "c"],
        "ticker": ["btcusd", "ethusd", "btcusd", "btcusd"],
        "price": [100.0, None, 101.0, 101.0],
        "trade_time": pa.array([NOW - timedelta(hours=3), NOW - timedelta(hours=2), NOW - timedelta(minutes=30),
                                NOW - timedelta(minutes=30)], pa.timestamp("us", tz="UTC")),
        "trade_date": ["2026-03-01"] * 4,
    })
    write_deltalake(str(tmp_path / "trades"), table, partition_by=["trade_date"])
    return str(tmp_path / "trades")


def test_the_aws_connection_gives_the_lakes_storage_options_with_its_extras_on_top():
    access = S3Access(access_key_id="AKID", secret_access_key="SECRET", endpoint_url="http://127.0.0.1:19000",
                      delta_options={"AWS_S3_ALLOW_UNSAFE_RENAME": "true"})
    assert access.delta_storage_options() == {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:19000", "AWS_ALLOW_HTTP": "true",
        "AWS_VIRTUAL_HOSTED_STYLE_REQUEST": "false", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "SECRET",
        "AWS_S3_ALLOW_UNSAFE_RENAME": "true"}
    # No connection: region and keys are left to the ambient AWS chain, as before.
    assert S3Access().delta_storage_options() == {"AWS_VIRTUAL_HOSTED_STYLE_REQUEST": "false"}


def test_the_checks_measure_and_name_each_failure(trades):
    expectations = QualityExpectations(min_rows=5, not_null=("trade_id", "price"), unique_key=("trade_id",),
                                       freshness_column="trade_time", max_age=timedelta(minutes=10))
    report = check_table(DeltaTable(trades), trades, expectations, now=NOW)
    assert (report.rows, report.nulls, report.duplicate_keys) == (4, {"trade_id": 0, "price": 1}, 1)
    assert report.newest == NOW - timedelta(minutes=30)
    assert report.failures == [
        "row count: 4 rows, expected at least 5",
        "nulls: price is null in 1 of 4 rows",
        "duplicates: 1 value(s) of (trade_id) occur more than once, e.g. {'trade_id': 'c', 'copies': 2}",
        "freshness: newest trade_time is 2026-03-01T11:30:00+00:00, 30 min 0 s old, more than the allowed 10 min 0 s",
    ]


def test_where_narrows_every_check(trades):
    expectations = QualityExpectations(min_rows=1, not_null=("price",), unique_key=("trade_id",),
                                       where="ticker = 'ethusd'")
    report = check_table(DeltaTable(trades), trades, expectations)
    assert report.rows == 1 and report.duplicate_keys == 0
    assert report.failures == ["nulls: price is null in 1 of 1 rows (where ticker = 'ethusd')"]


def test_the_operator_fails_the_task_with_every_message(trades):
    operator = DeltaQualityCheckOperator(task_id="q", table=trades, not_null=["price"], unique_key=["trade_id"])
    with pytest.raises(AirflowFailException) as raised:
        operator.execute({})
    assert f"data quality check of {trades} (version 0, whole table) failed 2 expectation(s)" in str(raised.value)
    assert "  - nulls: price is null in 1 of 4 rows" in str(raised.value)
    passing = DeltaQualityCheckOperator(task_id="ok", table=trades, min_rows=4, not_null=["trade_id"])
    assert passing.execute({})["rows"] == 4


def test_an_unknown_column_or_missing_table_is_a_clear_failure(trades, tmp_path):
    with pytest.raises(AirflowFailException, match="has no column\\(s\\) tradeid; its columns are: trade_id"):
        DeltaQualityCheckOperator(task_id="q", table=trades, unique_key=["tradeid"]).execute({})
    with pytest.raises(AirflowFailException, match="no Delta table at .*nothing.* \\(no _delta_log there\\)"):
        DeltaQualityCheckOperator(task_id="q", table=str(tmp_path / "nothing"), min_rows=1).execute({})


def test_the_commit_sensor_sees_a_newer_commit(trades):
    before = datetime.now(UTC) - timedelta(minutes=1)
    assert DeltaCommitSensor(task_id="s", table=trades, newer_than=before).poke({}).is_done
    later = DeltaCommitSensor(task_id="s", table=trades, newer_than=datetime.now(UTC) + timedelta(minutes=1))
    assert not later.poke({}).is_done


async def test_the_trigger_fires_once_a_commit_lands(trades):
    threshold = datetime.now(UTC)
    trigger = DeltaCommitTrigger(table=trades, newer_than=threshold.isoformat(), poll_interval=0.2)
    classpath, _ = trigger.serialize()
    assert classpath == "coinstream.airflow.triggers.delta_commit.DeltaCommitTrigger"
    waiting = asyncio.ensure_future(anext(trigger.run()))
    await asyncio.sleep(0.6)
    assert not waiting.done()
    await asyncio.sleep(0.01)
    write_deltalake(trades, pa.table({"trade_id": ["d"], "ticker": ["btcusd"], "price": [1.0],
                                      "trade_time": pa.array([NOW], pa.timestamp("us", tz="UTC")),
                                      "trade_date": ["2026-03-01"]}), mode="append")
    event = await asyncio.wait_for(waiting, 10)
    assert event.payload["status"] == "success" and event.payload["version"] == 1


def test_the_backfill_writes_bars_and_a_rerun_replaces_them(tiingo_connection, simulator, tmp_path):
    table = str(tmp_path / "ohlcv_backfill")
    ticker = simulator.market.tickers[0].name
    operator = TiingoBackfillOperator(task_id="b", tickers=[ticker], from_date="2026-01-05", to_date="2026-01-07",
                                      table=table, resample_freq="1hour")
    first = operator.execute({})
    assert {key: first[key] for key in ("mode", "rows", "table", "version")} == {
        "mode": "range", "rows": 48, "table": table, "version": 0}
    assert operator.execute({})["version"] == 1
    bars = DeltaTable(table).to_pyarrow_dataset().to_table(use_threads=False)
    assert bars.num_rows == 48
    assert sorted(set(bars.column("bar_date").to_pylist())) == ["2026-01-05", "2026-01-06"]
    assert set(bars.column("ticker").to_pylist()) == {ticker}
    assert all(row["low"] <= row["vwap"] * 1.5 for row in bars.to_pylist())


def test_the_backfill_to_date_is_exclusive_and_after_from_date(tiingo_connection, tmp_path):
    operator = TiingoBackfillOperator(task_id="b", tickers=["btcusd"], from_date="2026-01-05",
                                      to_date="2026-01-05", table=str(tmp_path / "t"))
    with pytest.raises(AirflowFailException, match="to_date=2026-01-05 is not after from_date=2026-01-05; .* "
                                                   "pass 2026-01-06 to backfill 2026-01-05 alone"):
        operator.execute({})
