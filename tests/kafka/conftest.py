"""Fixtures for the Kafka plumbing tests: per-test topics and a consumer that reads them back."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from coinstream.core import KafkaSettings

from ..conftest import unique_kafka_settings
from .topic_reader import ReadBack, read_topic


@pytest.fixture
def kafka_settings(local_stack) -> KafkaSettings:
    """[kafka] for the local stack, with topics no other test uses (3 partitions)."""
    return unique_kafka_settings(local_stack, "kafka", partitions=3)


@pytest.fixture
def read_back() -> Callable[..., ReadBack]:
    return read_topic
