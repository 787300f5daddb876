"""Brokers that do not answer: an error naming the endpoint, the cause and the fix, never a traceback."""

from __future__ import annotations

import socket

import pytest
from confluent_kafka.admin import AdminClient

from coinstream.core import KafkaSettings
from coinstream.core.kafka import KafkaUnreachableError, admin_config, cluster_broker_count, kafka_unreachable


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nothing listens once the probe is closed


def test_no_broker_answering_is_a_kafka_unreachable_error_naming_endpoint_and_fix():
    settings = KafkaSettings(bootstrap_servers=f"127.0.0.1:{closed_port()}")

    with pytest.raises(KafkaUnreachableError) as raised:
        cluster_broker_count(AdminClient(admin_config(settings)), timeout_s=1.0)
    message = str(kafka_unreachable(settings, raised.value))

    assert "no broker answered a metadata request in 1 s" in str(raised.value)
    assert message.startswith(f"cannot reach Kafka at {settings.bootstrap_servers} (")
    assert "`coinstream stack up`" in message and "COINSTREAM_KAFKA_BOOTSTRAP_SERVERS" in message
