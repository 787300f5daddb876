"""This run's records in Kafka, by offset: the topic's end offsets before the run and after the flush.

Offsets, not timestamps, delimit a run: a record belongs to this run when its offset lies between
the end offsets read before the ingestor started and those read after it flushed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from confluent_kafka import Consumer, TopicPartition

from coinstream.core import KafkaSettings
from coinstream.core.kafka import TradeAvroCodec, watermark_offsets
from coinstream.devstack.demo.checkpoints import PartitionOffsets

_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class KafkaTrade:
    """Where one trade sits in the trades topic, and its id."""

    partition: int
    offset: int
    trade_id: str


def _consumer(kafka: KafkaSettings) -> Consumer:
    return Consumer({"bootstrap.servers": kafka.bootstrap_servers, "group.id": "coinstream-demo-summary",
                     "enable.auto.commit": False, "enable.partition.eof": True})


def end_offsets(kafka: KafkaSettings, topic: str) -> PartitionOffsets:
    """Return the topic's end offsets (the next offset to be written) by partition; empty when it does not exist."""
    consumer = _consumer(kafka)
    try:
        metadata = consumer.list_topics(topic, timeout=_TIMEOUT_S).topics.get(topic)
        if metadata is None or metadata.error is not None:
            return {}
        return {partition: high for partition, (_, high) in
                watermark_offsets(consumer, topic, metadata.partitions, _TIMEOUT_S).items()}
    finally:
        consumer.close()


def count_between(starts: PartitionOffsets, ends: PartitionOffsets) -> int:
    """Records in [starts, ends), partition by partition."""
    return sum(max(0, end - starts.get(partition, 0)) for partition, end in ends.items())


def trades_between(kafka: KafkaSettings, starts: PartitionOffsets, ends: PartitionOffsets) -> Iterator[KafkaTrade]:
    """Yield every trade of the trades topic in [starts, ends), decoded with the schema registry's schemas."""
    topic = kafka.trades_topic
    remaining = {p: end - starts.get(p, 0) for p, end in ends.items() if end > starts.get(p, 0)}
    if not remaining:
        return
    codec = TradeAvroCodec.for_kafka(kafka)
    consumer = _consumer(kafka)
    try:
        consumer.assign([TopicPartition(topic, p, starts.get(p, 0)) for p in remaining])
        while remaining:
            messages = consumer.consume(10_000, timeout=5)
            if not messages:
                raise RuntimeError(f"{topic}: {sum(remaining.values()):,} records between the run's offsets could "
                                   f"not be read back from {kafka.bootstrap_servers} (is every broker up?)")
            for message in messages:
                partition = message.partition()
                if message.error() is not None or partition not in remaining:
                    continue
                if message.offset() >= ends[partition]:
                    continue
                yield KafkaTrade(partition, message.offset(), codec.decode_record(message.value())["trade_id"])
                remaining[partition] -= 1
                if remaining[partition] <= 0:
                    del remaining[partition]
    finally:
        consumer.close()
