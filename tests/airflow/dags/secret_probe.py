"""A DAG that uses the Tiingo key the way tasks do, and tries to log it.

The test runs each task with ``airflow tasks test`` (log masking on, as in a real task run).
COINSTREAM_PROBE_TABLE names the Delta table the backfill writes.
"""

from __future__ import annotations

import os
from datetime import datetime

import structlog
from airflow.sdk import DAG, task
from coinstream.airflow.hooks.tiingo import TiingoHook
from coinstream.airflow.operators.backfill import TiingoBackfillOperator

with DAG(dag_id="coinstream_secret_probe", schedule=None, start_date=datetime(2026, 1, 1), catchup=False) as dag:

    @task
    def leak() -> None:
        credentials = TiingoHook("tiingo_default").credentials
        print(f"print: the key is {credentials.api_key}")
        structlog.get_logger("probe").info("structlog_key", api_key_value=credentials.api_key)
        structlog.get_logger("probe").info("environment", env=credentials.environment())

    backfill = TiingoBackfillOperator(
        task_id="backfill", tickers=[os.environ.get("COINSTREAM_PROBE_TICKER", "btcusd")], from_date="2026-01-05",
        to_date="2026-01-06", resample_freq="1hour", table=os.environ.get("COINSTREAM_PROBE_TABLE", "/tmp/probe"))

    leak() >> backfill
