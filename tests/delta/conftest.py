"""Fixtures for the Delta sink tests on the local stack: one Spark session with Delta and S3A for the
stack's S3, AWS credentials in the environment (the standard chain, as users set them), per-test
topics and table prefixes, producing known trades, and running a pipeline in-process."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from coinstream.core import KafkaSettings, PluginHost, Provider, parse_pipeline
from coinstream.lake import plugin as lake_plugin
from coinstream.lake.__about__ import __version__ as lake_version
from coinstream.lake.credentials import resolve_credentials
from coinstream.lake.reader import LakeReader
from coinstream.lake.settings import S3Settings
from coinstream.s3 import plugin as s3_plugin
from coinstream.s3.__about__ import __version__ as s3_version
from coinstream.s3.spark_conf import session_conf
from coinstream.spark import plugin as spark_plugin
from coinstream.spark.__about__ import __version__ as spark_version
from coinstream.spark.jars import ensure_jars
from coinstream.spark.processor import Processor, ProcessorOptions, ProcessorReport
from coinstream.spark.session import build_session
from coinstream.spark.settings import SparkSettings

from ..pipelines import pipeline_document
from .topics import private_topics

_AWS_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")


@pytest.fixture(scope="session")
def aws_environment(local_stack) -> Iterator[dict[str, str]]:
    """The stack's keys as AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (what users export), restored after."""
    saved = {name: os.environ.get(name) for name in _AWS_VARIABLES}
    for name in _AWS_VARIABLES:
        os.environ.pop(name, None)
    os.environ["AWS_ACCESS_KEY_ID"] = local_stack.s3_access_key
    os.environ["AWS_SECRET_ACCESS_KEY"] = local_stack.s3_secret_key
    yield {"AWS_ACCESS_KEY_ID": local_stack.s3_access_key, "AWS_SECRET_ACCESS_KEY": local_stack.s3_secret_key}
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def stack_s3(local_stack) -> S3Settings:
    """[s3] for the local stack (no prefix: each test adds its own)."""
    return S3Settings(endpoint_url=local_stack.s3_endpoint_url, bucket=local_stack.s3_bucket,
                      region=local_stack.s3_region, path_style=True)


@pytest.fixture(scope="package")
def spark(aws_environment, stack_s3) -> Iterator[Any]:
    """One local[2] session with the Kafka/Avro/Delta/S3A jars, Delta's extension and S3A for the stack.

    Package scope, for the same reason as tests/processor's: S3A credentials are Hadoop settings, which
    an already running session (getOrCreate) would not take.
    """
    extra = session_conf(stack_s3, resolve_credentials(), on_s3=True)
    session = build_session(SparkSettings(master="local[2]", driver_memory="1g"), ensure_jars(), extra)
    yield session
    session.stop()


@pytest.fixture(scope="session")
def host() -> PluginHost:
    return PluginHost(autoload=False, plugins=[
        (spark_plugin, Provider("coinstream-spark-transforms", spark_version)),
        (lake_plugin, Provider("coinstream-lake", lake_version)),
        (s3_plugin, Provider("coinstream-sink-s3", s3_version)),
    ])


@pytest.fixture
def prefix() -> str:
    """A table prefix no other test uses: tables land at s3a://coinstream/test-delta/<id>/<table>."""
    return f"test-delta/{uuid.uuid4().hex[:10]}/"


@pytest.fixture
def lake_s3(stack_s3, prefix) -> S3Settings:
    return stack_s3.model_copy(update={"prefix": prefix})


@pytest.fixture
def lake(lake_s3, aws_environment) -> LakeReader:
    """The JVM-free reader over this test's tables."""
    return LakeReader(lake_s3)


@pytest.fixture
def kafka_settings(local_stack) -> Iterator[KafkaSettings]:
    """[kafka] for the local stack with topics no other test uses (2 partitions)."""
    with private_topics(local_stack, "delta", partitions=2) as settings:
        yield settings


class PipelineRunner:
    """Runs a pipeline in-process on the shared session (availableNow unless told otherwise)."""

    def __init__(self, spark: Any, host: PluginHost, kafka: KafkaSettings, s3: S3Settings, checkpoints: Path) -> None:
        self.spark, self.host, self.kafka, self.s3, self.checkpoints = spark, host, kafka, s3, checkpoints

    def __call__(self, transforms: list[dict[str, Any]], sinks: list[dict[str, Any]], name: str = "t",
                 s3: S3Settings | None | bool = True, options: ProcessorOptions | None = None) -> ProcessorReport:
        section = self.s3 if s3 is True else (s3 or None)
        raw = pipeline_document(name, self.kafka, section, self.checkpoints, transforms, sinks)
        pipeline = parse_pipeline(raw, self.host.registry)
        processor = Processor(pipeline, self.host.hook, options or ProcessorOptions(available_now=True),
                              spark=self.spark)
        return processor.run()


@pytest.fixture
def run_pipeline(spark, host, kafka_settings, lake_s3, tmp_path) -> PipelineRunner:
    return PipelineRunner(spark, host, kafka_settings, lake_s3, tmp_path / "checkpoints")
