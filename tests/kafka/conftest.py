"""Fixtures for the Kafka plumbing tests: per-test topics and a consumer that reads them back."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from confluent_kafka import Consumer, Message, TopicPartition

from coinstream.core import KafkaSettings


@pytest.fixture
def kafka_settings(local_stack) -> KafkaSettings:
    """[kafka] for the local stack, with topics no other test uses."""
    suffix = uuid.uuid4().hex[:10]
    return KafkaSettings(bootstrap_servers=local_stack.bootstrap_servers,
                         schema_registry_url=local_stack.schema_registry_url,
                         trades_topic=f"test.trades.{suffix}", dead_letter_topic=f"test.dlq.{suffix}",
                         partitions=3, replication_factor=3, min_insync_replicas=2)


@dataclass
class ReadBack:
    messages: list[Message]

    def values(self) -> list[bytes]:
        return [m.value() for m in self.messages]


def read_topic(bootstrap_servers: str, topic: str, expected: int, timeout_s: float = 120.0,
               settle_s: float = 3.0) -> ReadBack:
    """Read a topic from the beginning until ``expected`` messages arrived (then ``settle_s`` more
    seconds to catch any extra), or the timeout passed."""
    consumer = Consumer({"bootstrap.servers": bootstrap_servers, "group.id": f"test-{uuid.uuid4().hex}",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    try:
        metadata = consumer.list_topics(topic, timeout=30)
        partitions = [TopicPartition(topic, p, 0) for p in metadata.topics[topic].partitions]
        consumer.assign(partitions)
        messages: list[Message] = []
        deadline = time.monotonic() + timeout_s
        settle_until: float | None = None
        while time.monotonic() < deadline:
            batch = consumer.consume(10_000, timeout=0.5)
            for message in batch:
                if message.error() is None:
                    messages.append(message)
            if len(messages) >= expected and settle_until is None:
                settle_until = time.monotonic() + settle_s
            if settle_until is not None and time.monotonic() >= settle_until:
                break
        return ReadBack(messages)
    finally:
        consumer.close()


@pytest.fixture
def read_back() -> Callable[..., ReadBack]:
    return read_topic
