"""End-to-end tests across packages. The local stack comes from core's session fixture; the Kafka
fixtures here give each test topics of its own and a producer that waits for every ack."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence

import pytest
from confluent_kafka.admin import AdminClient

from coinstream.core import KafkaSettings, Trade
from coinstream.core.kafka import TradeAvroCodec, TradeProducer, admin_config, ensure_topics, pipeline_topics
from coinstream.core.kafka.avro import schema_registry_client, trades_subject

pytest_plugins = ["coinstream.core.stack.pytest_plugin"]


def unique_kafka_settings(local_stack, name: str, partitions: int) -> KafkaSettings:
    """[kafka] for the local stack, with a trades and a dead-letter topic no other test uses."""
    suffix = uuid.uuid4().hex[:10]
    return KafkaSettings(bootstrap_servers=local_stack.bootstrap_servers,
                         schema_registry_url=local_stack.schema_registry_url,
                         trades_topic=f"test.{name}.{suffix}", dead_letter_topic=f"test.{name}.dlq.{suffix}",
                         partitions=partitions, replication_factor=3, min_insync_replicas=2)


@pytest.fixture
def produce(kafka_settings: KafkaSettings) -> Callable[[Sequence[Trade]], TradeAvroCodec]:
    """Send trades (Avro, keyed by ticker) to the test's topic, wait until every one is
    acknowledged, and return the codec (to decode what is read back)."""
    ensure_topics(AdminClient(admin_config(kafka_settings)), pipeline_topics(kafka_settings))
    codec = TradeAvroCodec(schema_registry_client(kafka_settings), trades_subject(kafka_settings.trades_topic))
    producer = TradeProducer(kafka_settings, codec)

    def send(trades: Sequence[Trade]) -> TradeAvroCodec:
        producer.send(list(trades))
        assert producer.flush(60) == 0
        assert producer.stats.failed == 0
        return codec

    return send
