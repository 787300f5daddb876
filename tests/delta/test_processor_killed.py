"""The processor killed with SIGKILL (driver and JVM, no chance to clean up), then restarted: every trade is
in the Delta table exactly once, and every aggregate counts each trade once.

The deterministic case kills it at the one moment exactly-once hinges on, through the testing hook
``COINSTREAM_FAULT_POINT=after_delta_commit:<table>:<batch>``: right after the Delta commit of a batch,
before Spark writes that batch's commit file in the checkpoint, so the restart runs the batch again and
the sink must find it in the table. The random case kills it whenever 500 trades have landed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import tomli_w

from coinstream.lake.errors import TableNotFoundError
from coinstream.s3.sinks.tagged_append import tagged_batch

from ..pipelines import FULL_TRANSFORMS, pipeline_document
from ..trades import valid_trades

pytestmark = [pytest.mark.spark, pytest.mark.stack]

TRADES = 3_000
SINKS = [{"name": "delta", "input": "trades"}, {"name": "delta", "input": "ohlcv_1m"}]


def start_processor(pipeline_file: Path, log: Path, *extra: str, fault_point: str | None = None) -> subprocess.Popen:
    """``coinstream process`` in its own process group (the JVM is a child of the Python driver)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("COINSTREAM_FAULT_POINT", None)
    if fault_point:
        env["COINSTREAM_FAULT_POINT"] = fault_point
    return subprocess.Popen([sys.executable, "-m", "coinstream.core.cli.main", "--log-format", "json", "process",
                             str(pipeline_file), *extra],
                            stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True, env=env)


def committed_trades(lake) -> int:
    try:
        return lake.read("trades", columns=["trade_id"]).num_rows
    except TableNotFoundError:  # no commit yet
        return 0


def write_pipeline(name: str, kafka_settings, lake_s3, tmp_path: Path, batch_size: int) -> Path:
    document = pipeline_document(
        name, kafka_settings, lake_s3, tmp_path / "checkpoints", FULL_TRANSFORMS, SINKS,
        spark_settings={"max_offsets_per_trigger": batch_size, "trigger_interval": "1 second"})
    pipeline_file = tmp_path / "pipeline.toml"
    pipeline_file.write_bytes(tomli_w.dumps(document).encode())
    return pipeline_file


def events(log: Path, name: str) -> list[dict]:
    found = []
    for line in log.read_text(errors="replace").splitlines():
        if f'"{name}"' in line and line.startswith("{"):
            try:
                found.append(json.loads(line))
            except ValueError:
                continue
    return found


def restart_to_the_end(pipeline_file: Path, log: Path) -> None:
    restarted = start_processor(pipeline_file, log, "--available-now")
    try:
        assert restarted.wait(600) == 0, log.read_text()[-3000:]
    finally:
        if restarted.poll() is None:
            os.killpg(restarted.pid, signal.SIGKILL)


def assert_each_trade_once(lake, trades) -> None:
    ids = lake.read("trades", columns=["trade_id"]).column("trade_id").to_pylist()
    assert len(ids) == TRADES, f"{len(ids) - len(set(ids))} duplicates, {TRADES - len(set(ids))} missing"
    assert set(ids) == {t.trade_id for t in trades}
    bars = lake.read("ohlcv_1m", columns=["trade_count"]).column("trade_count").to_pylist()
    assert sum(bars) == TRADES


@pytest.mark.parametrize("table", ["trades", "ohlcv_1m"])
def test_killed_between_the_delta_commit_and_the_checkpoint_commit_then_restarted_lands_every_trade_once(
        table, produce, kafka_settings, lake_s3, lake, tmp_path, aws_environment):
    trades = valid_trades(TRADES, prefix="f", spacing_s=0.05)      # 150 s of trades: three one-minute windows
    produce(trades)
    pipeline_file = write_pipeline("fault", kafka_settings, lake_s3, tmp_path, batch_size=600)   # 5 batches
    log = tmp_path / "processor.log"

    killed = start_processor(pipeline_file, log, "--available-now", fault_point=f"after_delta_commit:{table}:2")
    try:
        assert killed.wait(600) == -signal.SIGKILL, f"the fault point did not kill it:\n{log.read_text()[-3000:]}"
    finally:
        os.killpg(killed.pid, signal.SIGKILL)                  # the JVM, should it outlive its driver
    [reached] = events(log, "fault_point_reached")
    batch = reached["batch_id"]                                # the first batch from 2 on that wrote something
    assert reached["table"] == table and batch >= 2
    checkpoint = tmp_path / "checkpoints" / "fault" / f"delta-{table}"
    assert (checkpoint / "offsets" / str(batch)).exists() and not (checkpoint / "commits" / str(batch)).exists(), \
        "the kill must fall between the Delta commit and the checkpoint's commit"
    if table == "trades":
        history = lake.table(table).history()
        landed = [tagged_batch(entry.get("userMetadata"), "fault-delta-trades") for entry in history]
        assert max(tag for tag in landed if tag is not None) == batch
    else:
        assert lake.table(table).transaction_version("fault-delta-ohlcv_1m") == batch

    restart_to_the_end(pipeline_file, log)

    assert_each_trade_once(lake, trades)
    skipped = [event for event in events(log, "delta_batch_skipped") if event.get("batch_id") == batch]
    assert len(skipped) == 1, f"the restart must have found batch {batch} in the table and skipped it"


@pytest.mark.faults
def test_sigkill_at_a_random_point_mid_stream_then_restart_lands_every_trade_exactly_once(
        produce, kafka_settings, lake_s3, lake, tmp_path, aws_environment):
    trades = valid_trades(TRADES, prefix="k", spacing_s=0.05)
    produce(trades)
    pipeline_file = write_pipeline("killed", kafka_settings, lake_s3, tmp_path, batch_size=250)
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
    assert committed_trades(lake) < TRADES, "the processor finished before the kill; lower max_offsets_per_trigger"

    restart_to_the_end(pipeline_file, log)

    assert_each_trade_once(lake, trades)
