"""Backfill one-minute bars from Tiingo's REST API into the lake, one day per run, then check them.

Scheduled daily with day-long data intervals, so history is filled with Airflow's own backfill:

    airflow backfill create --dag-id coinstream_backfill --from-date 2026-01-01 --to-date 2026-01-31

or a single range by hand: trigger with conf {"from_date": "2026-01-01", "to_date": "2026-01-08"}.
Re-running a range replaces its bars (idempotent). Needs the tiingo_default connection.

Mode "gaps" (Param ``mode``, default from COINSTREAM_BACKFILL_MODE) backfills the feed's open gaps
instead: every gap of the lake's feed_gaps table (Param ``gaps_table``, default from
COINSTREAM_FEED_GAPS_TABLE) that no run has backfilled yet, or only those that started in the run's
days when from_date/to_date are given in conf. REST has bars, not trades: the bars say what the
market did while the feed was not read; the missed trades stay missing. With no open gap the
backfill task is skipped, and the check with it. Trigger it by hand with conf {"mode": "gaps"}, or
set COINSTREAM_BACKFILL_MODE=gaps to have the daily runs do it.
"""

from __future__ import annotations

import os
from datetime import datetime

from airflow.sdk import DAG, CronDataIntervalTimetable, Param
from coinstream.airflow.operators.backfill import TiingoBackfillOperator
from coinstream.airflow.operators.quality import DeltaQualityCheckOperator

TICKERS = os.environ.get("COINSTREAM_BACKFILL_TICKERS", "btcusd,ethusd").split(",")
START = "{{ params.from_date or (data_interval_start | ds) }}"
END = "{{ params.to_date or (data_interval_end | ds) }}"
# In gaps mode only conf's days narrow the gaps (none: every open gap); the check covers the bars the run wrote.
GAP_START = "{{ params.from_date or '' }}"
GAP_END = "{{ params.to_date or '' }}"
# The check reads the bars of the run's days (window_start in [START, END), and only their bar_date
# partitions) in range mode; in gaps mode those the run wrote, which its backfilled_at tells.
CHECKED_START = f"{{% if params.mode != 'gaps' %}}{START}{{% endif %}}"
CHECKED_END = f"{{% if params.mode != 'gaps' %}}{END}{{% endif %}}"
CHECKED_GAPS = ("{% if params.mode == 'gaps' %}"
                "backfilled_at = '{{ ti.xcom_pull(task_ids='backfill')['backfilled_at'] }}'{% endif %}")

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
        "mode": Param(os.environ.get("COINSTREAM_BACKFILL_MODE", "range"), enum=["range", "gaps"],
                      description="range: the run's days; gaps: the open gaps of gaps_table."),
        "gaps_table": Param(os.environ.get("COINSTREAM_FEED_GAPS_TABLE", "s3a://coinstream/feed_gaps"), type="string",
                            description="The lake's feed_gaps table (mode gaps)."),
    },
) as dag:
    backfill = TiingoBackfillOperator(
        task_id="backfill", tickers=TICKERS, mode="{{ params.mode }}", table="{{ params.table }}",
        from_date=f"{{% if params.mode == 'gaps' %}}{GAP_START}{{% else %}}{START}{{% endif %}}",
        to_date=f"{{% if params.mode == 'gaps' %}}{GAP_END}{{% else %}}{END}{{% endif %}}",
        gaps_table="{{ params.gaps_table }}", resample_freq="1min", tiingo_conn_id="tiingo_default",
        aws_conn_id="aws_default")
    check = DeltaQualityCheckOperator(
        task_id="check", table="{{ params.table }}", aws_conn_id="aws_default", min_rows=1,
        not_null=["window_start", "ticker", "open", "close"], unique_key=["ticker", "exchange", "window_start"],
        window_column="window_start", window_start=CHECKED_START, window_end=CHECKED_END, where=CHECKED_GAPS)

    backfill >> check
