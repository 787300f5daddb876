"""Backfill one-minute bars from Tiingo's REST API into the lake, one day per run, then check them.

Scheduled daily with day-long data intervals, so history is filled with Airflow's own backfill:

    airflow backfill create --dag-id coinstream_backfill --from-date 2026-01-01 --to-date 2026-01-31

or a single range by hand: trigger with conf {"from_date": "2026-01-01", "to_date": "2026-01-08"}.
Re-running a range replaces its bars (idempotent). Needs the tiingo_default connection.
"""

from __future__ import annotations

import os
from datetime import datetime

from coinstream.airflow.operators.backfill import TiingoBackfillOperator
from coinstream.airflow.operators.quality import DeltaQualityCheckOperator

from airflow.sdk import DAG, CronDataIntervalTimetable, Param

TICKERS = os.environ.get("COINSTREAM_BACKFILL_TICKERS", "btcusd,ethusd").split(",")
START = "{{ params.from_date or (data_interval_start | ds) }}"
END = "{{ params.to_date or (data_interval_end | ds) }}"

with DAG(
    dag_id="coinstream_backfill",
    description="One-minute OHLCV bars from Tiingo REST into a Delta table",
    schedule=CronDataIntervalTimetable("0 1 * * *", timezone="UTC"),
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=2,
    tags=["coinstream", "example", "backfill"],
    params={
        "from_date": Param(None, type=["null", "string"], format="date", description="First day (default: the run's)."),
        "to_date": Param(None, type=["null", "string"], format="date", description="Day after the last (exclusive)."),
        "table": Param(os.environ.get("COINSTREAM_BACKFILL_TABLE", "s3a://coinstream/ohlcv_backfill"), type="string"),
    },
) as dag:
    backfill = TiingoBackfillOperator(
        task_id="backfill", tickers=TICKERS, from_date=START, to_date=END, table="{{ params.table }}",
        resample_freq="1min", tiingo_conn_id="tiingo_default", aws_conn_id="aws_default")
    check = DeltaQualityCheckOperator(
        task_id="check", table="{{ params.table }}", aws_conn_id="aws_default", min_rows=1,
        not_null=["window_start", "ticker", "open", "close"], unique_key=["ticker", "exchange", "window_start"],
        where=f"bar_date >= '{START}' AND bar_date < '{END}'")

    backfill >> check
