"""The processor on a Spark standalone cluster (a master and a worker on loopback, started from pyspark's
own scripts): the same pipeline file as the local runs, only ``[spark] master = "spark://..."``, and every
trade lands in the Delta table once. The executors run in the worker's JVMs, so this proves they get the
jars, the S3 endpoint and credentials from the driver, not from the test's process."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import tomli_w

from ..pipelines import FULL_TRANSFORMS, pipeline_document
from ..trades import valid_trades
from .standalone import cluster_env, standalone_cluster

pytestmark = [pytest.mark.spark, pytest.mark.stack, pytest.mark.slow]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with standalone_cluster(tmp_path_factory.mktemp("spark-standalone"), cores=2, memory="2g") as running:
        yield running


def test_the_pipeline_on_a_standalone_cluster_writes_every_trade_once(cluster, kafka_settings, lake_s3, lake,
                                                                        produce, aws_environment, tmp_path: Path):
    trades = valid_trades(600, prefix="c", spacing_s=0.5)
    produce(trades)
    produce(trades[:50])                                # re-sent copies: deduplicated on the executors' state
    document = pipeline_document(
        "cluster", kafka_settings, lake_s3, tmp_path / "checkpoints", FULL_TRANSFORMS,
        [{"name": "delta", "input": "trades"}, {"name": "delta", "input": "ohlcv_1m"}],
        spark_settings={"master": cluster.master_url, "available_now": True, "max_offsets_per_trigger": 300})
    pipeline_file = tmp_path / "pipeline.toml"
    pipeline_file.write_bytes(tomli_w.dumps(document).encode())
    log = tmp_path / "processor.log"

    with log.open("wb") as out:
        finished = subprocess.run(
            [sys.executable, "-m", "coinstream.core.cli.main", "--log-format", "json", "process", str(pipeline_file)],
            env={**cluster_env(tmp_path / "driver"), "PYTHONUNBUFFERED": "1"}, stdout=out,
            stderr=subprocess.STDOUT, timeout=600, check=False)
    assert finished.returncode == 0, log.read_text(errors="replace")[-4000:]

    landed = Counter(lake.read("trades", columns=["trade_id"]).column("trade_id").to_pylist())
    assert [trade_id for trade_id, count in landed.items() if count > 1] == []
    assert set(landed) == {t.trade_id for t in trades}
    bars = lake.read("ohlcv_1m", columns=["trade_count"]).column("trade_count").to_pylist()
    assert sum(bars) == len(trades)
    # It ran on the cluster: the master lists the processor as a finished application that had executors.
    apps = [app for app in cluster.status()["completedapps"] if app["name"] == "coinstream-processor"]
    assert len(apps) == 1, cluster.status()
