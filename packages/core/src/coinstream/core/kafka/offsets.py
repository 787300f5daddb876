"""Partition watermarks that ride out a leader election.

Right after a topic is created, or while a broker restarts, a partition may have no leader for a
moment and ``get_watermark_offsets`` raises NOT_LEADER_FOR_PARTITION or LEADER_NOT_AVAILABLE.
Those are transient: ask again until the deadline, then raise what the broker last said.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

_TRANSIENT = frozenset({
    KafkaError.NOT_LEADER_FOR_PARTITION,
    KafkaError.LEADER_NOT_AVAILABLE,
    KafkaError.UNKNOWN_TOPIC_OR_PART,
    KafkaError._TRANSPORT,
    KafkaError._TIMED_OUT,
    KafkaError.REQUEST_TIMED_OUT,
})
_PAUSE_S = 0.2


def _is_transient(error: KafkaException) -> bool:
    kafka_error = error.args[0] if error.args and isinstance(error.args[0], KafkaError) else None
    return kafka_error is not None and (kafka_error.code() in _TRANSIENT or kafka_error.retriable())


def watermark_offsets(consumer: Consumer, topic: str, partitions: Iterable[int],
                      timeout_s: float = 30.0) -> dict[int, tuple[int, int]]:
    """Return ``{partition: (low, high)}`` watermarks, retrying transient leader errors until ``timeout_s``.

    Raises the broker's last ``KafkaException`` when a partition still has no answer at the deadline,
    and at once on an error that is not transient.
    """
    deadline = time.monotonic() + timeout_s
    watermarks: dict[int, tuple[int, int]] = {}
    for partition in sorted(partitions):
        while True:
            remaining = max(0.1, deadline - time.monotonic())
            try:
                watermarks[partition] = consumer.get_watermark_offsets(
                    TopicPartition(topic, partition), timeout=remaining)
                break
            except KafkaException as error:
                if not _is_transient(error) or time.monotonic() >= deadline:
                    raise
                time.sleep(_PAUSE_S)
    return watermarks
