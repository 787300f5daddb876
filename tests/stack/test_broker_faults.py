"""The fixture's broker levers: with one node down, acks=all writes still succeed (min ISR 2)."""

from __future__ import annotations

import time
import uuid

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

pytestmark = [pytest.mark.stack, pytest.mark.faults]


def _isr(admin: AdminClient, topic: str) -> list[int]:
    deadline = time.monotonic() + 15
    while True:  # a broker learns a new topic a moment after the controller commits it
        partitions = admin.list_topics(topic=topic, timeout=10).topics[topic].partitions
        if partitions or time.monotonic() > deadline:
            return sorted(partitions[0].isrs)
        time.sleep(0.2)


def test_kill_one_broker_writes_continue_and_it_rejoins_the_isr(local_stack) -> None:
    admin = AdminClient({"bootstrap.servers": local_stack.bootstrap_servers})
    topic = f"stack-test-faults-{uuid.uuid4().hex[:8]}"
    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=3,
                                  config={"min.insync.replicas": "2"})])[topic].result(timeout=30)
    assert _isr(admin, topic) == [1, 2, 3]

    local_stack.kill_broker(3)
    try:
        deadline = time.monotonic() + 60
        while _isr(admin, topic) != [1, 2] and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _isr(admin, topic) == [1, 2]

        producer = Producer({"bootstrap.servers": local_stack.bootstrap_servers, "acks": "all"})
        delivered: list[object] = []
        for n in range(20):
            producer.produce(topic, value=f"{n}".encode(), on_delivery=lambda err, msg: delivered.append(err))
        assert producer.flush(30) == 0
        assert delivered == [None] * 20
    finally:
        local_stack.start_broker(3)
    assert _isr(admin, topic) == [1, 2, 3]
