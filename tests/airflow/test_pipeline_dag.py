"""The pipeline DAG against the real stack: the ingest task alone, then the whole DAG with dag.test()."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Consumer

from coinstream.airflow import example_dags
from coinstream.core.kafka import watermark_offsets

from .conftest import BIN

pytestmark = [pytest.mark.airflow, pytest.mark.stack, pytest.mark.slow]

EXAMPLE_DAGS = Path(example_dags.__file__).parent
RUNNER = Path(__file__).with_name("dag_runner.py")
TRADES = 1_500


@pytest.fixture
def pipeline(local_stack, simulator, api_key, airflow_env, tmp_path) -> dict:
    """A pipeline file on its own topics, and the environment the example DAG reads (connections too)."""
    suffix = uuid.uuid4().hex[:8]
    topic, checkpoints = f"test.airflow.trades.{suffix}", tmp_path / "checkpoints"
    path = tmp_path / "pipeline.toml"
    path.write_text(f"""
[pipeline]
name = "airflow{suffix}"

[kafka]
trades_topic = "{topic}"
dead_letter_topic = "test.airflow.dlq.{suffix}"
partitions = 2
replication_factor = 3
min_insync_replicas = 2

[source]
name = "tiingo"
tickers = ["*"]

[spark]
master = "local[2]"
checkpoint_location = "{checkpoints}"

[s3]
endpoint_url = "{local_stack.s3_endpoint_url}"
bucket = "{local_stack.s3_bucket}"
path_style = true
prefix = "airflow{suffix}/"

[[transforms]]
name = "validate"

[[transforms]]
name = "deduplicate"
watermark = "10 minutes"

[[transforms]]
name = "enrich"

[[sinks]]
name = "delta"
input = "trades"
""")
    lake = f"s3a://{local_stack.s3_bucket}/airflow{suffix}"
    env = airflow_env(
        AIRFLOW_CONN_TIINGO_DEFAULT=json.dumps({"conn_type": "tiingo", "host": simulator.rest_url,
                                                "password": api_key}),
        AIRFLOW_CONN_COINSTREAM_KAFKA_DEFAULT=json.dumps({
            "conn_type": "coinstream_kafka", "host": local_stack.bootstrap_servers,
            "extra": {"schema_registry_url": local_stack.schema_registry_url}}),
        AIRFLOW_CONN_AWS_DEFAULT=json.dumps({
            "conn_type": "aws", "login": local_stack.s3_access_key, "password": local_stack.s3_secret_key,
            "extra": {"endpoint_url": local_stack.s3_endpoint_url, "region_name": local_stack.s3_region}}),
        AIRFLOW__CORE__DAGS_FOLDER=str(EXAMPLE_DAGS), COINSTREAM_PIPELINE=str(path), COINSTREAM_LAKE=lake,
        COINSTREAM_CHECKPOINT=str(checkpoints / f"airflow{suffix}" / "delta-trades"),
        COINSTREAM_TRADES_TOPIC=topic, COINSTREAM_INGEST_SECONDS="60", COINSTREAM_INGEST_MAX_TRADES=str(TRADES),
        COINSTREAM_MAX_LAG="0")
    return {"env": env, "topic": topic, "lake": lake, "bootstrap_servers": local_stack.bootstrap_servers}


def records_in(bootstrap_servers: str, topic: str) -> int:
    consumer = Consumer({"bootstrap.servers": bootstrap_servers, "group.id": "probe"})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        return sum(high for _, high in watermark_offsets(consumer, topic, partitions, timeout_s=10).values())
    finally:
        consumer.close()


def airflow(env: dict[str, str], *arguments: str) -> str:
    result = subprocess.run([str(BIN / "airflow"), *arguments], env=env, capture_output=True, text=True,
                            timeout=600, check=False)
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    return result.stdout + result.stderr


def test_the_ingest_task_sends_trades_to_kafka_without_logging_the_key(airflow_db, pipeline, api_key, simulator):
    airflow(pipeline["env"], "dags", "reserialize")
    output = airflow(pipeline["env"], "tasks", "test", "coinstream_pipeline", "ingest")

    acked = int(re.search(r"ingest_task_finished .*trades_acked=(\d+)", output)[1])
    assert acked >= TRADES
    assert records_in(pipeline["bootstrap_servers"], pipeline["topic"]) == acked
    assert simulator.stats.subscribe_requests and all(r["authorized"] for r in simulator.stats.subscribe_requests)
    assert api_key not in output


@pytest.mark.spark
def test_the_pipeline_dag_lands_the_trades_in_delta(airflow_db, pipeline, api_key):
    from deltalake import DeltaTable

    from coinstream.airflow.hooks.s3 import S3Access

    result = subprocess.run([sys.executable, str(RUNNER), "coinstream_pipeline"], env=pipeline["env"],
                            capture_output=True, text=True, timeout=1500, check=False)
    output = result.stdout + result.stderr
    states = dict(re.findall(r"^TASK (\S+) (\S+)$", result.stdout, re.MULTILINE))
    assert states.get("ingest") == "success", output[-5000:]
    assert "DAG_RUN_STATE=success" in output, f"{states}\n{output[-5000:]}"
    assert api_key not in output

    assert states == dict.fromkeys(["ingest", "process", "caught_up", "landed", "optimize", "vacuum", "quality"],
                                   "success")
    connection = json.loads(pipeline["env"]["AIRFLOW_CONN_AWS_DEFAULT"])
    access = S3Access(access_key_id=connection["login"], secret_access_key=connection["password"],
                      region=connection["extra"]["region_name"], endpoint_url=connection["extra"]["endpoint_url"])
    trades = DeltaTable(pipeline["lake"].replace("s3a://", "s3://") + "/trades",
                        storage_options=access.delta_storage_options()).to_pyarrow_dataset().to_table(use_threads=False)
    assert trades.num_rows == records_in(pipeline["bootstrap_servers"], pipeline["topic"])
    assert trades.num_rows >= TRADES
