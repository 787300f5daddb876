"""Reading a group's committed offsets survives a coordinator that is still loading (fresh cluster)."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from coinstream.airflow.hooks import kafka as kafka_hook


class CoordinatorNotReadyTwice:
    """A consumer stand-in whose first two committed() calls fail like a fresh cluster's."""

    def __init__(self, error_code: int) -> None:
        self.calls = 0
        self.error_code = error_code

    def committed(self, partitions, timeout):
        self.calls += 1
        if self.calls <= 2:
            raise KafkaException(KafkaError(self.error_code))
        return [TopicPartition(p.topic, p.partition, 7) for p in partitions]


def test_not_coordinator_is_retried_until_the_offsets_come(monkeypatch):
    monkeypatch.setattr(kafka_hook.time, "sleep", lambda _s: None)
    consumer = CoordinatorNotReadyTwice(KafkaError.NOT_COORDINATOR)

    offsets = kafka_hook._committed_with_retries(consumer, [TopicPartition("t", 0)], 5.0)

    assert consumer.calls == 3
    assert [(tp.partition, tp.offset) for tp in offsets] == [(0, 7)]


def test_other_errors_are_not_retried(monkeypatch):
    monkeypatch.setattr(kafka_hook.time, "sleep", lambda _s: None)
    consumer = CoordinatorNotReadyTwice(KafkaError.GROUP_AUTHORIZATION_FAILED)

    with pytest.raises(KafkaException):
        kafka_hook._committed_with_retries(consumer, [TopicPartition("t", 0)], 5.0)
    assert consumer.calls == 1
