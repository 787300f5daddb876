"""``coinstream delta optimize|vacuum|history`` on a table the Spark sink wrote, on the stack's S3:
compaction keeps every row, Spark still reads the table delta-rs rewrote, history shows both engines."""

from __future__ import annotations

import json

import pytest
import tomli_w
from click.testing import CliRunner

from coinstream.lake.bucket import s3_client
from coinstream.lake.cli import delta_command


def json_output(result) -> object:
    """The command's JSON line (structlog, unconfigured outside the CLI, may print before it)."""
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])

pytestmark = [pytest.mark.spark, pytest.mark.stack]


def test_optimize_vacuum_and_history_on_a_spark_written_table(spark, lake_s3, lake, tmp_path, aws_environment):
    uri = f"s3a://{lake_s3.bucket}/{lake_s3.prefix}trades"
    for batch in range(3):  # three appends = at least three small files per partition
        rows = [(f"m{batch}-{i}", ("btcusdt", "ethusdt")[i % 2], 100.0 + i, batch) for i in range(20)]
        spark.createDataFrame(rows, ["trade_id", "ticker", "price", "batch"]).coalesce(1) \
            .write.format("delta").mode("append").save(uri)
    files_before = len(lake.table("trades").file_uris())
    pipeline = tmp_path / "pipeline.toml"
    pipeline.write_bytes(tomli_w.dumps({"s3": lake_s3.model_dump(mode="json", exclude_none=True)}).encode())
    cli = CliRunner()

    optimized = cli.invoke(delta_command, ["optimize", "trades", "--pipeline", str(pipeline), "--json"])
    metrics = json_output(optimized)
    assert metrics["zorder"] == ["ticker"]
    assert metrics["numFilesRemoved"] == files_before and metrics["numFilesAdded"] == 1

    assert len(lake.table("trades").file_uris()) == 1
    assert spark.read.format("delta").load(uri).count() == 60      # Spark reads what delta-rs rewrote

    history = cli.invoke(delta_command, ["history", "trades", "--pipeline", str(pipeline), "--json"])
    operations = [commit["operation"] for commit in json_output(history)]
    assert operations[0] == "OPTIMIZE" and operations.count("WRITE") == 3

    dry = cli.invoke(delta_command, ["vacuum", "trades", "--pipeline", str(pipeline), "--retention-hours", "0",
                                     "--json"])
    listed = json_output(dry)
    assert listed["dry_run"] is True and len(listed["files"]) == files_before
    deleted = json_output(cli.invoke(delta_command, ["vacuum", "trades", "--pipeline", str(pipeline),
                                                     "--retention-hours", "0", "--delete", "--json"]))
    assert deleted["files"] == listed["files"]
    client = s3_client(lake_s3)
    keys = [item["Key"] for item in client.list_objects_v2(Bucket=lake_s3.bucket, Prefix=lake_s3.prefix)["Contents"]]
    data_files = [key.rsplit("/", 1)[-1] for key in keys if key.endswith(".parquet")]
    assert not set(data_files) & {file.rsplit("/", 1)[-1] for file in listed["files"]}   # they are gone
    assert len(data_files) == 1                                      # only the compacted file is left
    assert lake.read("trades").num_rows == 60
    assert spark.read.format("delta").load(uri).count() == 60


def test_history_of_a_missing_table_says_where_it_looked(lake_s3, tmp_path, aws_environment):
    pipeline = tmp_path / "pipeline.toml"
    pipeline.write_bytes(tomli_w.dumps({"s3": lake_s3.model_dump(mode="json", exclude_none=True)}).encode())
    result = CliRunner().invoke(delta_command, ["history", "ohlcv_1m", "--pipeline", str(pipeline)])
    assert result.exit_code == 1
    assert f"no Delta table at s3a://{lake_s3.bucket}/{lake_s3.prefix}ohlcv_1m" in result.output
