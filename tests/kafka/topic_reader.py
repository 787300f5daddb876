"""Reading a test topic back from the beginning, the way a consumer would."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from confluent_kafka import Consumer, Message, TopicPartition


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


