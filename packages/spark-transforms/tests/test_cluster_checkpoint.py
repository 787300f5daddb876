"""On a cluster the executors write the state store into the checkpoint: a local folder is warned about."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from coinstream.spark.session import warn_unshared_checkpoint
from coinstream.spark.settings import SparkSettings


def test_a_cluster_master_with_a_local_checkpoint_is_warned_about() -> None:
    with capture_logs() as logs:
        warn_unshared_checkpoint(SparkSettings(master="spark://10.0.0.5:7077", checkpoint_location="/tmp/cp"))
    assert [(entry["event"], entry["checkpoint"], entry["master"]) for entry in logs] == [
        ("checkpoint_not_shared", "/tmp/cp", "spark://10.0.0.5:7077")]
    assert "s3a://" in logs[0]["hint"]


@pytest.mark.parametrize(("master", "checkpoint"), [
    ("local[2]", "checkpoints"),
    ("spark://10.0.0.5:7077", "s3a://lake/_checkpoints"),
    ("yarn", "hdfs:///coinstream/checkpoints"),
])
def test_a_local_master_or_shared_checkpoint_is_not_warned_about(master: str, checkpoint: str) -> None:
    with capture_logs() as logs:
        warn_unshared_checkpoint(SparkSettings(master=master, checkpoint_location=checkpoint))
    assert logs == []
