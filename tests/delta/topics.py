"""Kafka topics of the processor and Delta tests that another test session's clean-up leaves alone.

The root conftest deletes every ``test.*`` topic created while a test ran, which is right for one
session but, with two sessions on one stack (the fault suite running beside these tests), removes the
other session's topics mid-run. These tests name theirs ``it.*`` and delete them themselves.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from coinstream.core import KafkaSettings
from coinstream.core.kafka import admin_config, delete_topics

from ..conftest import unique_kafka_settings

PREFIX = "it."


@contextlib.contextmanager
def private_topics(local_stack, name: str, partitions: int) -> Iterator[KafkaSettings]:
    """[kafka] for the local stack with topics of this test alone, deleted when it ends."""
    shared = unique_kafka_settings(local_stack, name, partitions=partitions)
    topics = {field: PREFIX + getattr(shared, field) for field in type(shared).model_fields if field.endswith("_topic")}
    settings = shared.model_copy(update=topics)
    yield settings
    with contextlib.suppress(KafkaException):
        delete_topics(AdminClient(admin_config(settings)), list(topics.values()))
