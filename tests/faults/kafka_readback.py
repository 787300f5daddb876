"""A case's records read back from Kafka by offset: its trades' ids (and schema ids), its dead letters'
keys, its feed gaps.

A case's records are those between the topics' end offsets read before its ingestor started and after
it flushed (the demo delimits a run the same way).
"""

from __future__ import annotations

import struct
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from confluent_kafka import Consumer, Message, TopicPartition

from coinstream.core import FeedGap, KafkaSettings
from coinstream.core.kafka import FeedGapAvroCodec
from coinstream.devstack.demo.checkpoints import PartitionOffsets
from coinstream.devstack.demo.kafka_range import end_offsets

from .feed_ledger import DeadLetterKey

_HEADER = struct.Struct(">bI")


def read_range(kafka: KafkaSettings, topic: str, starts: PartitionOffsets, ends: PartitionOffsets,
               timeout_s: float = 60.0) -> Iterator[Message]:
    """Yield every record of ``topic`` in [starts, ends), partition by partition's offsets."""
    remaining = {p: end for p, end in ends.items() if end > starts.get(p, 0)}
    if not remaining:
        return
    consumer = Consumer({"bootstrap.servers": kafka.bootstrap_servers, "group.id": "coinstream-fault-suite",
                         "enable.auto.commit": False, "isolation.level": "read_committed"})
    try:
        consumer.assign([TopicPartition(topic, p, starts.get(p, 0)) for p in remaining])
        idle = 0.0
        while remaining:
            messages = consumer.consume(10_000, timeout=1.0)
            if not messages:
                idle += 1.0
                if idle >= timeout_s:
                    raise AssertionError(f"{topic}: could not read back offsets {starts} .. {ends} (left: {remaining})")
                continue
            idle = 0.0
            for message in messages:
                partition = message.partition()
                if message.error() is not None or partition not in remaining:
                    continue
                if message.offset() < remaining[partition]:
                    yield message
                if message.offset() >= remaining[partition] - 1:
                    del remaining[partition]
    finally:
        consumer.close()


def trade_id_of(value: bytes) -> str:
    """The trade id of a Confluent-framed Trade: the schema's first field, a length-prefixed string."""
    length, shift, index = 0, 0, _HEADER.size
    while True:
        byte = value[index]
        index += 1
        length |= (byte & 0x7F) << shift
        if byte < 0x80:
            break
        shift += 7
    length = (length >> 1) ^ -(length & 1)  # zig-zag
    return value[index:index + length].decode()


@dataclass
class KafkaReadback:
    """What a case put in the trades topic and the dead-letter topic."""

    trade_ids: Counter[str] = field(default_factory=Counter)
    schema_ids: Counter[int] = field(default_factory=Counter)
    dead_letters: Counter[DeadLetterKey] = field(default_factory=Counter)
    dead_letter_reasons: dict[DeadLetterKey, str] = field(default_factory=dict)
    dead_letter_sizes: dict[DeadLetterKey, int] = field(default_factory=dict)  # original_size header, if any
    gaps: list[FeedGap] = field(default_factory=list)


TopicEnds = tuple[PartitionOffsets, PartitionOffsets, PartitionOffsets]
"""End offsets of the trades, dead-letter and feed gaps topics."""


def topic_ends(kafka: KafkaSettings) -> TopicEnds:
    """The end offsets of the trades topic, the dead-letter topic and the feed gaps topic."""
    return (end_offsets(kafka, kafka.trades_topic), end_offsets(kafka, kafka.dead_letter_topic),
            end_offsets(kafka, kafka.feed_gaps_topic))


def read_case(kafka: KafkaSettings, starts: TopicEnds, ends: TopicEnds) -> KafkaReadback:
    """Read a case's trades, dead letters and gaps back (``starts``/``ends``: from :func:`topic_ends`)."""
    readback = KafkaReadback()
    for message in read_range(kafka, kafka.trades_topic, starts[0], ends[0]):
        value = message.value()
        readback.trade_ids[trade_id_of(value)] += 1
        readback.schema_ids[_HEADER.unpack_from(value)[1]] += 1
    for message in read_range(kafka, kafka.dead_letter_topic, starts[1], ends[1]):
        headers = {name: value.decode(errors="replace") for name, value in message.headers() or ()}
        key = (headers.get("coinstream.session_id", ""), int(headers.get("coinstream.frame_sequence", "-1")))
        readback.dead_letters[key] += 1
        readback.dead_letter_reasons[key] = headers.get("coinstream.reason", "")
        if "coinstream.original_size" in headers:
            readback.dead_letter_sizes[key] = int(headers["coinstream.original_size"])
    gaps = list(read_range(kafka, kafka.feed_gaps_topic, starts[2], ends[2]))
    if gaps:
        codec = FeedGapAvroCodec.for_kafka(kafka)
        readback.gaps = sorted((codec.decode(message.value()) for message in gaps), key=lambda gap: gap.gap_start)
    return readback
