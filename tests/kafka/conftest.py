"""Fixtures for the Kafka plumbing tests: per-test topics and a consumer that reads them back."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from coinstream.core import KafkaSettings

from .topic_reader import ReadBack, read_topic


@pytest.fixture
def kafka_settings(local_stack) -> KafkaSettings:
    """[kafka] for the local stack, with topics no other test uses."""
    suffix = uuid.uuid4().hex[:10]
    return KafkaSettings(bootstrap_servers=local_stack.bootstrap_servers,
                         schema_registry_url=local_stack.schema_registry_url,
                         trades_topic=f"test.trades.{suffix}", dead_letter_topic=f"test.dlq.{suffix}",
                         partitions=3, replication_factor=3, min_insync_replicas=2)


@pytest.fixture
def read_back() -> Callable[..., ReadBack]:
    return read_topic
