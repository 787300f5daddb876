"""The pipeline over the local brokers' SASL_SSL listeners: TLS checked against the stack's own CA with
hostname verification on, and the stack's SCRAM-SHA-512 user.

``coinstream ingest`` takes trades from the Tiingo simulator to Kafka (admin client and producer over
SASL_SSL), a consumer over SASL_SSL reads them back, and ``coinstream process --available-now`` (Spark's
Kafka source over SASL_SSL) lands exactly those trade_ids in Delta. A wrong password and a missing CA fail
fast with exit 2 and one line naming what to fix.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import tomli_w
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient
from pydantic import SecretStr

from coinstream.core import KafkaSettings
from coinstream.core.kafka import TradeAvroCodec, consumer_config, delete_topics
from coinstream.devstack.tls import stack_tls
from coinstream.lake import LakeReader, S3Settings
from coinstream.lake.credentials import AwsCredentials
from coinstream.tiingo.simulator import SimulatorConfig
from coinstream.tiingo.simulator.threaded import simulator_in_thread

from ..conftest import unique_kafka_settings
from ..pipelines import pipeline_document

pytestmark = [pytest.mark.stack, pytest.mark.spark]

RATE = 1_000


@pytest.fixture
def tls_kafka(local_stack) -> KafkaSettings:
    """[kafka] for the stack's SASL_SSL listeners, with topics of this test alone."""
    endpoints = local_stack.stack.endpoints
    plain = unique_kafka_settings(local_stack, "tls", partitions=3)
    return plain.model_copy(update={
        "bootstrap_servers": endpoints.sasl_ssl_bootstrap_servers, "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512", "sasl_username": endpoints.scram_username,
        "sasl_password": SecretStr(endpoints.scram_password),
        "ssl_ca_location": str(stack_tls(local_stack.stack.paths).ca_file),
    })


@pytest.fixture
def s3(local_stack) -> S3Settings:
    return S3Settings(endpoint_url=local_stack.s3_endpoint_url, bucket=local_stack.s3_bucket,
                      region=local_stack.s3_region, path_style=True, prefix=f"test-tls/{uuid.uuid4().hex[:10]}/")


def secrets_environ(local_stack, *, password: str | None = None) -> dict[str, str]:
    """The child's environment: the SCRAM user (as users pass it, never in the file) and the S3 keys."""
    endpoints = local_stack.stack.endpoints
    return {**os.environ, "PYTHONUNBUFFERED": "1",
            "COINSTREAM_KAFKA_SASL_USERNAME": endpoints.scram_username,
            "COINSTREAM_KAFKA_SASL_PASSWORD": password or endpoints.scram_password,
            "AWS_ACCESS_KEY_ID": local_stack.s3_access_key, "AWS_SECRET_ACCESS_KEY": local_stack.s3_secret_key}


def write_pipeline(path: Path, kafka: KafkaSettings, s3: S3Settings, simulator_urls: tuple[str, str]) -> Path:
    document = pipeline_document("tls", kafka, s3, path.parent / "checkpoints",
                                 [{"name": "validate"}], [{"name": "delta", "input": "trades"}])
    for secret in ("sasl_username", "sasl_password"):  # from the environment, as a user passes them
        document["kafka"].pop(secret, None)
    document["source"] = {"name": "tiingo", "url": simulator_urls[0], "rest_url": simulator_urls[1]}
    document["ingest"] = {"spool_dir": str(path.parent / "spool")}
    path.write_bytes(tomli_w.dumps(document).encode())
    return path


def coinstream(*args: str, env: dict[str, str], log: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    with log.open("w") as output:
        result = subprocess.run([sys.executable, "-m", "coinstream.core.cli.main", *args], env=env, text=True,
                                stdout=output, stderr=subprocess.STDOUT, timeout=timeout, check=False)
    result.stdout = log.read_text(errors="replace")
    return result


def read_trade_ids(kafka: KafkaSettings, expected: int, timeout_s: float = 60.0) -> list[str]:
    """The trades topic read from the start by a read-committed consumer over SASL_SSL."""
    consumer = Consumer(consumer_config(kafka, f"test-tls-{uuid.uuid4().hex}"))
    codec = TradeAvroCodec.for_kafka(kafka)
    try:
        partitions = consumer.list_topics(kafka.trades_topic, timeout=30).topics[kafka.trades_topic].partitions
        consumer.assign([TopicPartition(kafka.trades_topic, p, 0) for p in partitions])
        ids: list[str] = []
        deadline = time.monotonic() + timeout_s
        while len(ids) < expected and time.monotonic() < deadline:
            ids += [codec.decode(m.value()).trade_id for m in consumer.consume(5_000, timeout=0.5) if m.error() is None]
        return ids
    finally:
        consumer.close()


@pytest.fixture
def cleanup_topics(local_stack, tls_kafka):
    yield
    delete_topics(AdminClient({"bootstrap.servers": local_stack.bootstrap_servers}),
                  [tls_kafka.trades_topic, tls_kafka.dead_letter_topic, tls_kafka.feed_gaps_topic])


def test_ingest_and_process_over_sasl_ssl_with_scram_land_every_trade_in_delta(
        local_stack, tls_kafka, s3, tmp_path, cleanup_topics):
    config = SimulatorConfig(rate=RATE, seed=17, quote_share=0.0, heartbeat_interval_s=3_600)
    with simulator_in_thread(config) as simulator:
        pipeline = write_pipeline(tmp_path / "pipeline.toml", tls_kafka, s3, (simulator.url, simulator.rest_url))
        ingest = coinstream("--log-format", "json", "ingest", str(pipeline), "--no-progress", "--duration", "8",
                            env=secrets_environ(local_stack), log=tmp_path / "ingest.log", timeout=120)
    assert ingest.returncode == 0, ingest.stdout[-3000:]
    [finished] = [json.loads(line) for line in ingest.stdout.splitlines()
                  if line.startswith("{") and '"ingest_finished"' in line]
    acked = finished["trades_acked"]
    assert acked >= RATE and finished["failed"] == 0 and finished["trades_sent"] == acked

    in_kafka = read_trade_ids(tls_kafka, acked)
    assert len(in_kafka) == len(set(in_kafka)) == acked

    process = coinstream("--log-format", "json", "process", str(pipeline), "--available-now",
                         env=secrets_environ(local_stack), log=tmp_path / "process.log", timeout=600)
    assert process.returncode == 0, process.stdout[-3000:]
    keys = AwsCredentials(local_stack.s3_access_key, local_stack.s3_secret_key, None, "env")
    landed = LakeReader(s3, keys).read("trades", columns=["trade_id"]).column("trade_id").to_pylist()
    assert sorted(landed) == sorted(in_kafka)
    assert local_stack.stack.endpoints.scram_password not in ingest.stdout + process.stdout


def test_a_wrong_scram_password_fails_fast_with_exit_2_naming_the_brokers_and_the_fix(
        local_stack, tls_kafka, s3, tmp_path):
    pipeline = write_pipeline(tmp_path / "pipeline.toml", tls_kafka, s3, ("ws://127.0.0.1:9/", "http://127.0.0.1:9/"))
    started = time.monotonic()
    result = coinstream("ingest", str(pipeline), "--no-progress", "--duration", "5",
                        env=secrets_environ(local_stack, password="not-the-password"), log=tmp_path / "ingest.log",
                        timeout=120)
    assert result.returncode == 2, result.stdout[-3000:]
    assert time.monotonic() - started < 60
    assert tls_kafka.bootstrap_servers in result.stdout
    assert "sasl_username" in result.stdout and "sasl_password" in result.stdout
    assert "Traceback" not in result.stdout and "not-the-password" not in result.stdout


def test_a_missing_ca_file_is_refused_before_anything_connects(local_stack, tls_kafka, s3, tmp_path):
    missing = tmp_path / "no-ca.pem"
    pipeline = write_pipeline(tmp_path / "pipeline.toml", tls_kafka.model_copy(update={"ssl_ca_location": None}),
                              s3, ("ws://127.0.0.1:9/", "http://127.0.0.1:9/"))
    text = pipeline.read_text().replace("[kafka]\n", f'[kafka]\nssl_ca_location = "{missing}"\n', 1)
    pipeline.write_text(text)
    result = coinstream("ingest", str(pipeline), "--no-progress", "--duration", "5",
                        env=secrets_environ(local_stack), log=tmp_path / "ingest.log", timeout=120)
    assert result.returncode == 2, result.stdout[-3000:]
    assert f"kafka.ssl_ca_location: ssl_ca_location='{missing}': no such file" in result.stdout
    assert "Traceback" not in result.stdout
