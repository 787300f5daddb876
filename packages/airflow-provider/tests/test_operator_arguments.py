"""Operators and sensors refuse wrong arguments when the DAG is parsed, saying what to pass."""

from __future__ import annotations

from datetime import timedelta

import pytest
from coinstream.airflow.operators.backfill import TiingoBackfillOperator
from coinstream.airflow.operators.delta_maintenance import DeltaOptimizeOperator, DeltaVacuumOperator
from coinstream.airflow.operators.ingest import CoinstreamIngestOperator
from coinstream.airflow.operators.process import CoinstreamProcessOperator
from coinstream.airflow.operators.quality import DeltaQualityCheckOperator
from coinstream.airflow.sensors.consumer_lag import ConsumerLagSensor
from coinstream.airflow.sensors.delta_commit import DeltaCommitSensor


@pytest.mark.parametrize(("kwargs", "message"), [
    ({}, "an Airflow task must end, so pass duration="),
    ({"duration": 0}, "duration=0 must be positive"),
    ({"duration": "5 minutes"}, "is not a duration; pass seconds"),
    ({"max_trades": 0}, "max_trades=0 must be a positive integer"),
    ({"pipeline": "", "duration": 5}, "pipeline is empty"),
])
def test_the_ingest_operator_needs_a_bounded_window(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CoinstreamIngestOperator(task_id="ingest", **{"pipeline": "p.toml", **kwargs})


def test_the_ingest_operator_accepts_a_timedelta_or_a_trade_limit():
    assert CoinstreamIngestOperator(task_id="a", pipeline="p.toml", duration=timedelta(minutes=2)).duration_s == 120
    assert CoinstreamIngestOperator(task_id="b", pipeline="p.toml", max_trades=10).max_trades == 10


@pytest.mark.parametrize(("kwargs", "message"), [
    ({}, "pass until_caught_up=True"),
    ({"duration": -1}, "must be positive"),
    ({"until_caught_up": True, "spark_master": "spark//typo:7077"}, "is not a Spark master URL"),
    ({"until_caught_up": True, "deploy_mode": "remote"}, "deploy_mode='remote' must be 'client' or 'cluster'"),
])
def test_the_process_operator_needs_a_bound_and_a_real_master(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CoinstreamProcessOperator(task_id="process", pipeline="p.toml", **kwargs)


def test_the_process_command_locally_and_through_spark_submit():
    local = CoinstreamProcessOperator(task_id="p", pipeline="p.toml", until_caught_up=True, duration=600,
                                      coinstream_bin="/bin/coinstream")
    assert local.command() == ["/bin/coinstream", "process", "p.toml", "--available-now", "--duration", "600"]
    cluster = CoinstreamProcessOperator(task_id="p", pipeline="p.toml", until_caught_up=True,
                                        spark_master="spark://spark:7077",
                                        spark_submit_conf={"spark.executor.cores": "2"})
    command = cluster.command()
    assert command[:5] == ["spark-submit", "--master", "spark://spark:7077", "--deploy-mode", "client"]
    assert ["--conf", "spark.executor.cores=2"] == command[7:9]
    assert command[9].endswith("coinstream/airflow/spark_driver.py")
    assert command[10:] == ["process", "p.toml", "--available-now"]
    assert cluster.environment()["COINSTREAM_SPARK_MASTER"] == "spark://spark:7077"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"tickers": "btcusd"}, "must be a non-empty list"),
    ({"tickers": ["BTC/USD"]}, "'BTC/USD' is not a Tiingo ticker"),
    ({"resample_freq": "1m"}, "resample_freq='1m' is not like 1min"),
    ({"table": ""}, "table is empty"),
])
def test_the_backfill_operator_checks_tickers_frequency_and_table(kwargs, message):
    arguments = {"tickers": ["btcusd"], "from_date": "2026-01-01", "to_date": "2026-01-02", "table": "/t", **kwargs}
    with pytest.raises(ValueError, match=message):
        TiingoBackfillOperator(task_id="backfill", **arguments)


def test_vacuum_refuses_a_retention_below_seven_days():
    with pytest.raises(ValueError, match="retention_hours=24 is below Delta's safe minimum of 168 h"):
        DeltaVacuumOperator(task_id="vacuum", table="s3a://lake/trades", retention_hours=24)
    vacuum = DeltaVacuumOperator(task_id="v", table="s3a://lake/trades", retention_hours=240, coinstream_bin="cs")
    assert vacuum.command() == ["cs", "delta", "vacuum", "s3a://lake/trades", "--delete", "--retention-hours", "240"]
    listing = DeltaVacuumOperator(task_id="l", table="trades", pipeline="p.toml", dry_run=True, coinstream_bin="cs")
    assert listing.command() == ["cs", "delta", "vacuum", "trades", "--pipeline", "p.toml", "--dry-run"]


def test_optimize_passes_zorder_and_target_size_as_the_cli_spells_them():
    def command(**kwargs):
        operator = DeltaOptimizeOperator(task_id="o", table="s3a://lake/trades", coinstream_bin="cs", **kwargs)
        return operator.command()[4:]

    assert command() == []
    assert command(zorder_by=["ticker", "exchange"]) == ["--zorder", "ticker", "--zorder", "exchange"]
    assert command(zorder_by=[], target_size_mb=64) == ["--no-zorder", "--target-size-mb", "64"]
    with pytest.raises(ValueError, match="target_size_mb=0 must be a positive integer"):
        command(target_size_mb=0)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({}, "no expectation given"),
    ({"freshness_column": "trade_time"}, "freshness needs both freshness_column= .* and max_age="),
    ({"max_age": 60}, "freshness needs both"),
    ({"not_null": "trade_id"}, "take a list of column names"),
    ({"min_rows": -1}, "min_rows=-1 must be a non-negative integer"),
])
def test_the_quality_check_needs_real_expectations(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DeltaQualityCheckOperator(task_id="quality", table="/t", **kwargs)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"max_lag": 10}, "pass exactly one reader"),
    ({"max_lag": 10, "group_id": "g", "checkpoint": "/c"}, "pass exactly one reader"),
    ({"max_lag": -1, "group_id": "g"}, "max_lag=-1 must be a non-negative integer"),
])
def test_the_lag_sensor_needs_one_reader_and_a_threshold(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ConsumerLagSensor(task_id="lag", topic="crypto.trades.v1", **kwargs)


def test_the_commit_sensor_checks_its_time_unless_templated():
    with pytest.raises(ValueError, match="newer_than='yesterday' is not an ISO date-time"):
        DeltaCommitSensor(task_id="landed", table="/t", newer_than="yesterday")
    assert DeltaCommitSensor(task_id="ok", table="/t", newer_than="{{ data_interval_end }}").deferrable
