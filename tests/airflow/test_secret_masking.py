"""The Tiingo key never appears in a task log, even when a task prints or logs it on purpose."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from deltalake import DeltaTable

from .conftest import BIN

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

DAGS = Path(__file__).parent / "dags"


def test_the_key_is_masked_in_every_task_log(airflow_db, airflow_env, simulator, api_key, tmp_path):
    table = tmp_path / "probe_bars"
    env = airflow_env(
        AIRFLOW_CONN_TIINGO_DEFAULT=json.dumps({"conn_type": "tiingo", "host": simulator.rest_url,
                                                "password": api_key}),
        COINSTREAM_PROBE_TABLE=str(table), COINSTREAM_PROBE_TICKER=simulator.market.tickers[0].name,
        AIRFLOW__CORE__DAGS_FOLDER=str(DAGS))

    def airflow(*arguments: str) -> str:
        result = subprocess.run([str(BIN / "airflow"), *arguments], env=env, capture_output=True, text=True,
                                timeout=300, check=False)
        assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
        return result.stdout + result.stderr

    airflow("dags", "reserialize")
    leak = airflow("tasks", "test", "coinstream_secret_probe", "leak")
    backfill = airflow("tasks", "test", "coinstream_secret_probe", "backfill")

    # the key was really used: the simulator rejects any other, and the bars are in the table
    assert DeltaTable(str(table)).to_pyarrow_dataset().to_table(use_threads=False).num_rows == 24
    assert "print: the key is ***" in leak
    assert "'COINSTREAM_TIINGO_API_KEY': '***'" in leak
    assert api_key not in leak + backfill
    logs = [p for p in Path(airflow_db, "logs").rglob("*") if p.is_file()]
    assert not [p for p in logs if api_key in p.read_text(errors="replace")]
