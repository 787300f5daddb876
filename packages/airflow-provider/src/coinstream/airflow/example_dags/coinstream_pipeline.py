"""The reference pipeline as a scheduled DAG: ingest, process, land in Delta, maintain, check quality.

Every hour: ingest the Tiingo feed into Kafka for a bounded window, run the Spark processor until
it has caught up, wait until the processor's checkpoint is within COINSTREAM_MAX_LAG records of
the topic's end and the trades table has a commit from this run, compact and vacuum the table,
and check the trades from the run's data interval on (trade_time >= data_interval_start).

Set on the Airflow side (defaults suit `coinstream stack up`):
  connections  tiingo_default (API key), coinstream_kafka_default, aws_default (the lake)
  environment  COINSTREAM_PIPELINE, COINSTREAM_LAKE, COINSTREAM_CHECKPOINT, COINSTREAM_TRADES_TOPIC,
               COINSTREAM_INGEST_SECONDS, COINSTREAM_INGEST_MAX_TRADES, COINSTREAM_MAX_LAG
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow.sdk import DAG, Param
from coinstream.airflow.operators.delta_maintenance import DeltaOptimizeOperator, DeltaVacuumOperator
from coinstream.airflow.operators.ingest import CoinstreamIngestOperator
from coinstream.airflow.operators.process import CoinstreamProcessOperator
from coinstream.airflow.operators.quality import DeltaQualityCheckOperator
from coinstream.airflow.sensors.consumer_lag import ConsumerLagSensor
from coinstream.airflow.sensors.delta_commit import DeltaCommitSensor

INGEST_SECONDS = float(os.environ.get("COINSTREAM_INGEST_SECONDS", "300"))
INGEST_MAX_TRADES = int(os.environ["COINSTREAM_INGEST_MAX_TRADES"]) if os.environ.get(
    "COINSTREAM_INGEST_MAX_TRADES") else None
MAX_LAG = int(os.environ.get("COINSTREAM_MAX_LAG", "0"))
TRADES = "{{ params.lake }}/trades"

with DAG(
    dag_id="coinstream_pipeline",
    description="Tiingo -> Kafka -> Spark -> Delta Lake, maintained and checked",
    schedule="@hourly",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["coinstream", "example"],
    default_args={"retries": 1, "retry_delay": timedelta(minutes=2)},
    params={
        "pipeline": Param(os.environ.get("COINSTREAM_PIPELINE", "/opt/coinstream/pipeline.toml"), type="string",
                          description="The pipeline TOML (sources, transforms, the Delta sinks)."),
        "lake": Param(os.environ.get("COINSTREAM_LAKE", "s3a://coinstream"), type="string",
                      description="Where the Delta tables live (the [s3] bucket and prefix)."),
        "checkpoint": Param(os.environ.get("COINSTREAM_CHECKPOINT", "s3a://coinstream/checkpoints/local/delta-trades"),
                            type="string", description="Checkpoint folder of the trades query."),
        "trades_topic": Param(os.environ.get("COINSTREAM_TRADES_TOPIC", "crypto.trades.v1"), type="string"),
    },
) as dag:
    ingest = CoinstreamIngestOperator(
        task_id="ingest", pipeline="{{ params.pipeline }}", duration=INGEST_SECONDS, max_trades=INGEST_MAX_TRADES,
        kafka_conn_id="coinstream_kafka_default")
    process = CoinstreamProcessOperator(
        task_id="process", pipeline="{{ params.pipeline }}", until_caught_up=True, duration=timedelta(minutes=30),
        kafka_conn_id="coinstream_kafka_default", aws_conn_id="aws_default")
    caught_up = ConsumerLagSensor(
        task_id="caught_up", topic="{{ params.trades_topic }}", checkpoint="{{ params.checkpoint }}",
        max_lag=MAX_LAG, kafka_conn_id="coinstream_kafka_default", aws_conn_id="aws_default",
        poke_interval=10, timeout=600, mode="reschedule")
    landed = DeltaCommitSensor(
        task_id="landed", table=TRADES, newer_than="{{ ti.xcom_pull(task_ids='ingest')['started_at'] }}",
        aws_conn_id="aws_default", poke_interval=10, timeout=600)
    optimize = DeltaOptimizeOperator(task_id="optimize", table=TRADES, aws_conn_id="aws_default")
    vacuum = DeltaVacuumOperator(task_id="vacuum", table=TRADES, aws_conn_id="aws_default")
    # The check reads the trades from this run's data interval on, not the whole lake. Airflow 3's
    # "@hourly" is a CronTriggerTimetable: data_interval_start == data_interval_end == the run's time,
    # and the trades the run ingests come after it, so [start, end) would be empty: the window is left
    # open at the end instead (no trade is newer than the check), and freshness is measured against now.
    quality = DeltaQualityCheckOperator(
        task_id="quality", table=TRADES, aws_conn_id="aws_default", min_rows=1,
        not_null=["trade_id", "ticker", "exchange", "price", "size", "trade_time"], unique_key=["trade_id"],
        freshness_column="trade_time", max_age=timedelta(hours=2),
        window_column="trade_time", window_start="{{ data_interval_start }}")

    ingest >> process >> [caught_up, landed] >> optimize >> vacuum >> quality
