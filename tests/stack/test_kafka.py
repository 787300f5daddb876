"""Topics on the local cluster are replicated three times and refuse writes below two in sync."""

from __future__ import annotations

import time
import uuid

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

pytestmark = pytest.mark.stack


def _admin(bootstrap_servers: str) -> AdminClient:
    return AdminClient({"bootstrap.servers": bootstrap_servers})


def _describe(admin: AdminClient, topic: str):  # noqa: ANN202 (confluent_kafka's TopicMetadata)
    """The topic's metadata once the broker answering knows it (brokers learn new topics a moment
    after the controller commits them)."""
    deadline = time.monotonic() + 15
    while True:
        metadata = admin.list_topics(topic=topic, timeout=10).topics[topic]
        if (metadata.error is None and metadata.partitions) or time.monotonic() > deadline:
            return metadata
        time.sleep(0.2)


def _min_isr(admin: AdminClient, topic: str) -> str:
    """The topic's min.insync.replicas. A broker that has not applied the new topic's metadata yet
    answers UNKNOWN_TOPIC_OR_PART for a moment: ask again until it knows (or 30 s pass)."""
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    deadline = time.monotonic() + 30
    while True:
        try:
            configs = admin.describe_configs([resource])[resource].result(timeout=10)
            return configs["min.insync.replicas"].value
        except KafkaException as error:
            if error.args[0].code() != KafkaError.UNKNOWN_TOPIC_OR_PART or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_topic_created_with_rf3_min_isr2_has_three_in_sync_replicas(local_stack) -> None:
    admin = _admin(local_stack.bootstrap_servers)
    topic = f"stack-test-explicit-{uuid.uuid4().hex[:8]}"
    admin.create_topics([NewTopic(topic, num_partitions=4, replication_factor=3,
                                  config={"min.insync.replicas": "2"})])[topic].result(timeout=30)

    metadata = _describe(admin, topic)
    assert len(metadata.partitions) == 4
    for partition in metadata.partitions.values():
        assert sorted(partition.replicas) == [1, 2, 3]
        assert sorted(partition.isrs) == [1, 2, 3]
    assert _min_isr(admin, topic) == "2"


def test_cluster_defaults_give_a_bare_topic_rf3_min_isr2_six_partitions(local_stack) -> None:
    admin = _admin(local_stack.bootstrap_servers)
    topic = f"stack-test-defaults-{uuid.uuid4().hex[:8]}"
    # No partition count, no replication factor: the brokers' defaults decide.
    admin.create_topics([NewTopic(topic)])[topic].result(timeout=30)

    metadata = _describe(admin, topic)
    assert len(metadata.partitions) == 6
    assert all(len(p.replicas) == 3 for p in metadata.partitions.values())
    assert _min_isr(admin, topic) == "2"


def test_acks_all_round_trip_through_the_cluster(local_stack) -> None:
    admin = _admin(local_stack.bootstrap_servers)
    topic = f"stack-test-roundtrip-{uuid.uuid4().hex[:8]}"
    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=3)])[topic].result(timeout=30)
    producer = Producer({"bootstrap.servers": local_stack.bootstrap_servers, "acks": "all",
                         "enable.idempotence": True})
    for n in range(100):
        producer.produce(topic, key=str(n).encode(), value=f"trade-{n}".encode())
    assert producer.flush(30) == 0

    consumer = Consumer({"bootstrap.servers": local_stack.bootstrap_servers, "group.id": topic,
                         "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    values: list[bytes] = []
    try:
        while len(values) < 100:
            message = consumer.poll(30)
            assert message is not None, f"only {len(values)} of 100 records came back within 30 s"
            assert message.error() is None, message.error()
            values.append(message.value())
    finally:
        consumer.close()
    assert values == [f"trade-{n}".encode() for n in range(100)]
