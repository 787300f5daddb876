"""Fixtures for the processor tests: one local Spark session, per-test topics, producing known trades,
and running a pipeline (given as a dict, as its TOML would parse) with the availableNow trigger."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from coinstream.core import KafkaSettings, PluginHost, Provider, parse_pipeline
from coinstream.spark import plugin as spark_plugin
from coinstream.spark.__about__ import __version__
from coinstream.spark.jars import ensure_jars
from coinstream.spark.processor import Processor, ProcessorOptions, ProcessorReport
from coinstream.spark.session import build_session
from coinstream.spark.settings import SparkSettings

from ..delta.topics import private_topics
from ..pipelines import pipeline_document


@pytest.fixture(scope="package")
def spark() -> Iterator[Any]:
    """One local[2] SparkSession with the Kafka/Avro jars for this folder's tests.

    Package scope: the session is stopped when these tests are done, so the next folder (tests/delta)
    builds its own with its own Hadoop settings instead of inheriting this one through getOrCreate.
    """
    session = build_session(SparkSettings(master="local[2]", driver_memory="1g"), ensure_jars())
    yield session
    session.stop()


@pytest.fixture(scope="session")
def host() -> PluginHost:
    return PluginHost(autoload=False, plugins=[(spark_plugin, Provider("coinstream-spark-transforms", __version__))])


@pytest.fixture
def kafka_settings(local_stack) -> Iterator[KafkaSettings]:
    """[kafka] for the local stack with topics no other test uses (2 partitions)."""
    with private_topics(local_stack, "processor", partitions=2) as settings:
        yield settings


class PipelineRunner:
    """Runs a pipeline document with availableNow and collects what the hooks received."""

    def __init__(self, spark: Any, host: PluginHost, kafka: KafkaSettings, checkpoints: Path) -> None:
        self.spark, self.host, self.kafka, self.checkpoints = spark, host, kafka, checkpoints

    def __call__(self, transforms: list[dict[str, Any]], sinks: list[dict[str, Any]],
                 spark_settings: dict[str, Any] | None = None, name: str = "t",
                 options: ProcessorOptions | None = None) -> ProcessorReport:
        raw = pipeline_document(name, self.kafka, None, self.checkpoints, transforms, sinks, spark_settings)
        pipeline = parse_pipeline(raw, self.host.registry)
        processor = Processor(pipeline, self.host.hook, options or ProcessorOptions(available_now=True),
                              spark=self.spark)
        return processor.run()


@pytest.fixture
def run_pipeline(spark, host, kafka_settings, tmp_path) -> PipelineRunner:
    return PipelineRunner(spark, host, kafka_settings, tmp_path / "checkpoints")
