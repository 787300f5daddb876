"""Kafka plumbing on confluent-kafka: topics, the idempotent producer, Avro with a schema
registry (Confluent wire format) and dead-letter routing."""

from coinstream.core.kafka.admin import (
    KafkaUnreachableError,
    TopicMismatchError,
    TopicReport,
    TopicSpec,
    cluster_broker_count,
    delete_topics,
    ensure_topics,
    kafka_unreachable,
    pipeline_topics,
    require_brokers,
)
from coinstream.core.kafka.avro import (
    AvroValueCodec,
    FeedGapAvroCodec,
    SchemaRegistryUnavailableError,
    SchemaRegistryUnreachableError,
    TradeAvroCodec,
    decode_wire_header,
    feed_gaps_subject,
    schema_registry_client,
    schema_registry_config,
    trades_subject,
)
from coinstream.core.kafka.client_config import admin_config, consumer_config, producer_config
from coinstream.core.kafka.offsets import watermark_offsets
from coinstream.core.kafka.outage import KafkaOutage
from coinstream.core.kafka.producer import (
    DEAD_LETTER,
    FEED_GAP,
    TRADE,
    DeliveryStats,
    OutboundMessage,
    TradeProducer,
    truncated_dead_letter,
)

__all__ = [
    "DEAD_LETTER",
    "FEED_GAP",
    "TRADE",
    "AvroValueCodec",
    "DeliveryStats",
    "FeedGapAvroCodec",
    "KafkaOutage",
    "KafkaUnreachableError",
    "OutboundMessage",
    "SchemaRegistryUnavailableError",
    "SchemaRegistryUnreachableError",
    "TopicMismatchError",
    "TopicReport",
    "TopicSpec",
    "TradeAvroCodec",
    "TradeProducer",
    "admin_config",
    "cluster_broker_count",
    "consumer_config",
    "decode_wire_header",
    "delete_topics",
    "ensure_topics",
    "feed_gaps_subject",
    "kafka_unreachable",
    "pipeline_topics",
    "producer_config",
    "require_brokers",
    "schema_registry_client",
    "schema_registry_config",
    "trades_subject",
    "truncated_dead_letter",
    "watermark_offsets",
]
