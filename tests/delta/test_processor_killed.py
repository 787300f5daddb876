"""The processor killed with SIGKILL mid-stream (driver and JVM, no chance to clean up), then restarted:
every trade is in the Delta table exactly once, and every aggregate counts each trade once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import tomli_w

from coinstream.s3.errors import TableNotFoundError

from .pipelines import pipeline_document
from .test_tables import FULL_TRANSFORMS
from .trades import numbered

pytestmark = [pytest.mark.spark, pytest.mark.stack, pytest.mark.faults]

TRADES = 3_000


def start_processor(pipeline_file: Path, log: Path, *extra: str) -> subprocess.Popen:
    """``coinstream process`` in its own process group (the JVM is a child of the Python driver)."""
    return subprocess.Popen([sys.executable, "-m", "coinstream.core.cli.main", "--log-format", "json", "process",
                             str(pipeline_file), *extra],
                            stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


def committed_trades(lake) -> int:
    try:
        return lake.read("trades", columns=["trade_id"]).num_rows
    except TableNotFoundError:  # no commit yet
        return 0


def test_sigkill_mid_stream_then_restart_lands_every_trade_exactly_once(produce, kafka_settings, lake_s3, lake,
                                                                         tmp_path, aws_environment):
    trades = numbered(TRADES, prefix="k", spacing_s=0.05)      # 150 s of trades: three one-minute windows
    produce(trades)
    document = pipeline_document(
        "killed", kafka_settings, lake_s3, tmp_path / "checkpoints", FULL_TRANSFORMS,
        [{"name": "delta", "input": "trades"}, {"name": "delta", "input": "ohlcv_1m"}],
        spark_settings={"max_offsets_per_trigger": 250, "trigger_interval": "1 second"})
    pipeline_file = tmp_path / "pipeline.toml"
    pipeline_file.write_bytes(tomli_w.dumps(document).encode())
    log = tmp_path / "processor.log"

    processor = start_processor(pipeline_file, log)
    try:
        deadline = time.monotonic() + 420
        while committed_trades(lake) < 500:
            assert processor.poll() is None, f"the processor exited early:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"no trades committed in time:\n{log.read_text()[-3000:]}"
            time.sleep(0.5)
    finally:
        os.killpg(processor.pid, signal.SIGKILL)
        processor.wait(30)
    at_kill = committed_trades(lake)
    assert at_kill < TRADES, "the processor finished before the kill; lower max_offsets_per_trigger"

    restarted = start_processor(pipeline_file, log, "--available-now")
    try:
        assert restarted.wait(600) == 0, log.read_text()[-3000:]
    finally:
        if restarted.poll() is None:
            os.killpg(restarted.pid, signal.SIGKILL)

    ids = lake.read("trades", columns=["trade_id"]).column("trade_id").to_pylist()
    assert len(ids) == TRADES, f"{len(ids) - len(set(ids))} duplicates, {TRADES - len(set(ids))} missing"
    assert set(ids) == {t.trade_id for t in trades}
    bars = lake.read("ohlcv_1m", columns=["trade_count"]).column("trade_count").to_pylist()
    assert sum(bars) == TRADES
