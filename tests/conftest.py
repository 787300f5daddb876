"""End-to-end tests across packages. The local stack comes from core's session fixture; the Kafka
fixtures here give each test topics of its own and a producer that waits for every ack."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from confluent_kafka import KafkaException, Producer
from confluent_kafka.admin import AdminClient

from coinstream.core import KafkaSettings, Trade
from coinstream.core.kafka import (
    TradeAvroCodec,
    TradeProducer,
    admin_config,
    delete_topics,
    ensure_topics,
    pipeline_topics,
)

pytest_plugins = ["coinstream.devstack.pytest_plugin"]

# Topics the tests name (fresh per test): removed after each test that made them.
_TEST_TOPIC_PREFIXES = ("test.", "stack-test-")


@pytest.fixture(autouse=True)
def _delete_test_topics(request: pytest.FixtureRequest):
    """Delete the test topics a stack test created, when it ends.

    Every replicated partition costs each broker work on every follower fetch, so hundreds of
    left-over test topics slow the whole stack down (measured: broker CPU at 2,000 trades/s fell
    from 0.76 to 0.55 cores once 650 left-over partitions were gone). Topics are told apart by
    listing them before and after the test, keeping to the names tests give (``test.*``,
    ``stack-test-*``); two test sessions sharing one stack at once could remove each other's.
    """
    if "local_stack" not in request.fixturenames:
        yield
        return
    admin = AdminClient({"bootstrap.servers": request.getfixturevalue("local_stack").bootstrap_servers})
    before = set(admin.list_topics(timeout=15).topics)
    yield
    created = [name for name in admin.list_topics(timeout=15).topics
               if name not in before and name.startswith(_TEST_TOPIC_PREFIXES)]
    with contextlib.suppress(KafkaException):  # the broker is down after a fault test: nothing to clean
        delete_topics(admin, created)


def unique_kafka_settings(local_stack, name: str, partitions: int) -> KafkaSettings:
    """[kafka] for the local stack, with a trades and a dead-letter topic no other test uses."""
    suffix = uuid.uuid4().hex[:10]
    return KafkaSettings(bootstrap_servers=local_stack.bootstrap_servers,
                         schema_registry_url=local_stack.schema_registry_url,
                         trades_topic=f"test.{name}.{suffix}", dead_letter_topic=f"test.{name}.dlq.{suffix}",
                         feed_gaps_topic=f"test.{name}.gaps.{suffix}",
                         partitions=partitions, replication_factor=3, min_insync_replicas=2)


def kafka_table(kafka: KafkaSettings) -> str:
    """The ``[kafka]`` table of a pipeline file for these settings: servers, registry, topics, partitions."""
    return f"""[kafka]
bootstrap_servers = "{kafka.bootstrap_servers}"
schema_registry_url = "{kafka.schema_registry_url}"
trades_topic = "{kafka.trades_topic}"
dead_letter_topic = "{kafka.dead_letter_topic}"
feed_gaps_topic = "{kafka.feed_gaps_topic}"
partitions = {kafka.partitions}
"""


def ingest_pipeline_toml(name: str, kafka: KafkaSettings, spool_dir: Path, simulator, *, ingest: str = "",
                         source: str = "") -> str:
    """A pipeline file for ``coinstream ingest`` from the Tiingo ``simulator`` into ``kafka``, spooling in
    ``spool_dir``; ``ingest`` and ``source``: more lines of those tables."""
    return f"""[pipeline]
name = "{name}"

{kafka_table(kafka)}
[ingest]
spool_dir = "{spool_dir}"
{ingest}
[source]
name = "tiingo"
url = "{simulator.url}"
rest_url = "{simulator.rest_url}"
{source}"""


@pytest.fixture
def produce_raw(kafka_settings) -> Callable[[bytes], None]:
    """Send one raw value to the trades topic (for records the processor cannot decode)."""

    def send(value: bytes) -> None:
        producer = Producer({"bootstrap.servers": kafka_settings.bootstrap_servers, "acks": "all"})
        producer.produce(kafka_settings.trades_topic, value=value, key=b"raw")
        assert producer.flush(30) == 0

    return send


@pytest.fixture
def produce(kafka_settings: KafkaSettings) -> Callable[[Sequence[Trade]], TradeAvroCodec]:
    """Send trades (Avro, keyed by ticker) to the test's topic, wait until every one is
    acknowledged, and return the codec (to decode what is read back)."""
    ensure_topics(AdminClient(admin_config(kafka_settings)), pipeline_topics(kafka_settings))
    codec = TradeAvroCodec.for_kafka(kafka_settings)
    producer = TradeProducer(kafka_settings, codec)

    def send(trades: Sequence[Trade]) -> TradeAvroCodec:
        producer.send(list(trades))
        assert producer.flush(60) == 0
        assert producer.stats.failed == 0
        return codec

    return send


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run spark-transforms' Spark-only tier after everything else.

    The pytest process keeps one JVM for all its SparkSessions: the first session's start fixes the
    classpath and the SQL extensions the later ones get. The tier needs neither, while tests/delta and
    tests/processor need the Kafka, Delta and S3A jars and Delta's extension (DESCRIBE HISTORY failed
    with the tier first), so the sessions that need the most start first.
    """
    tier = [item for item in items if "spark-transforms/tests/spark/" in item.nodeid]
    if tier:
        items[:] = [item for item in items if item not in tier] + tier
