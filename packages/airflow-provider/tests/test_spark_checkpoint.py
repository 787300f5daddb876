"""The processor's committed offsets, read from a Spark checkpoint folder as Spark writes it."""

from __future__ import annotations

import pytest
from coinstream.airflow.spark_checkpoint import CheckpointError, committed_offsets


def write_batch(checkpoint, batch: int, offsets: str, committed: bool) -> None:
    (checkpoint / "offsets").mkdir(parents=True, exist_ok=True)
    (checkpoint / "commits").mkdir(parents=True, exist_ok=True)
    (checkpoint / "offsets" / str(batch)).write_text(
        'v1\n{"batchWatermarkMs":0,"batchTimestampMs":1767225600000,"conf":{}}\n' + offsets)
    if committed:
        (checkpoint / "commits" / str(batch)).write_text('v1\n{"nextBatchWatermarkMs":0}')


def test_the_newest_committed_batch_gives_the_offsets(tmp_path):
    write_batch(tmp_path, 0, '{"crypto.trades.v1":{"0":10,"1":7}}', committed=True)
    write_batch(tmp_path, 1, '{"crypto.trades.v1":{"0":25,"1":12}}', committed=True)
    write_batch(tmp_path, 2, '{"crypto.trades.v1":{"0":40,"1":30}}', committed=False)  # planned, not done
    assert committed_offsets(str(tmp_path)) == (1, {"crypto.trades.v1": {0: 25, 1: 12}})


def test_a_checkpoint_without_a_committed_batch_says_so(tmp_path):
    with pytest.raises(CheckpointError, match="no committed batch under .*/commits: the query has not finished"):
        committed_offsets(str(tmp_path))
