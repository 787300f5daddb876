"""core's topic administration against the real 3-broker cluster."""

from __future__ import annotations

import time

import pytest
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic, ResourceType

from coinstream.core.kafka import (TopicMismatchError, TopicSpec, admin_config, delete_topics, ensure_topics,
                                   pipeline_topics)

pytestmark = pytest.mark.stack


def describe(admin: AdminClient, topic: str) -> tuple[int, set[int], str]:
    # Brokers learn of a new topic from the controller within moments; the broker this request
    # lands on may be a moment behind the one ensure_topics asked.
    deadline = time.monotonic() + 15
    metadata = admin.list_topics(timeout=30).topics.get(topic)
    while (metadata is None or not metadata.partitions) and time.monotonic() < deadline:
        time.sleep(0.2)
        metadata = admin.list_topics(timeout=30).topics.get(topic)
    assert metadata is not None, f"topic {topic} not in the cluster's metadata"
    replication = {len(p.replicas) for p in metadata.partitions.values()}
    resource = ConfigResource(ResourceType.TOPIC, topic)
    min_isr = admin.describe_configs([resource])[resource].result(timeout=30)["min.insync.replicas"].value
    return len(metadata.partitions), replication, min_isr


def test_pipeline_topics_are_created_with_replication_3_and_min_isr_2(kafka_settings):
    admin = AdminClient(admin_config(kafka_settings))

    reports = ensure_topics(admin, pipeline_topics(kafka_settings))

    assert [(r.name, r.created) for r in reports] == [(kafka_settings.trades_topic, True),
                                                      (kafka_settings.dead_letter_topic, True),
                                                      (kafka_settings.feed_gaps_topic, True)]
    assert describe(admin, kafka_settings.trades_topic) == (3, {3}, "2")
    partitions, replication, min_isr = describe(admin, kafka_settings.dead_letter_topic)
    assert (replication, min_isr) == ({3}, "2")
    assert describe(admin, kafka_settings.feed_gaps_topic) == (1, {3}, "2")  # gaps are few: one partition


def test_ensuring_again_finds_the_topics_and_changes_nothing(kafka_settings):
    admin = AdminClient(admin_config(kafka_settings))
    ensure_topics(admin, pipeline_topics(kafka_settings))

    reports = ensure_topics(admin, pipeline_topics(kafka_settings))

    assert [r.created for r in reports] == [False, False, False]
    assert all(r.differences == () for r in reports)


def test_an_existing_topic_that_differs_is_reported_with_every_difference(kafka_settings):
    admin = AdminClient(admin_config(kafka_settings))
    topic = kafka_settings.trades_topic
    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=2,
                                  config={"min.insync.replicas": "1"})])[topic].result(timeout=30)

    with pytest.raises(TopicMismatchError) as raised:
        ensure_topics(admin, [TopicSpec(topic, 3, 3, 2)])

    message = str(raised.value)
    assert "partitions is 1, the pipeline asks for 3" in message
    assert "replication factor is 2, the pipeline asks for 3" in message
    assert "min.insync.replicas is 1, the pipeline asks for 2" in message


def test_a_replication_factor_above_the_broker_count_names_the_count(kafka_settings):
    admin = AdminClient(admin_config(kafka_settings))

    with pytest.raises(TopicMismatchError, match=r"replication_factor=5 but the cluster has 3 brokers"):
        ensure_topics(admin, [TopicSpec(kafka_settings.trades_topic, 1, 5, 2)])


def test_delete_topics_removes_the_existing_ones_and_skips_the_missing(kafka_settings):
    admin = AdminClient(admin_config(kafka_settings))
    ensure_topics(admin, pipeline_topics(kafka_settings))
    wanted = [kafka_settings.trades_topic, kafka_settings.dead_letter_topic, "test.never-created"]
    assert delete_topics(admin, wanted) == wanted[:2]  # it returns once the metadata no longer lists them
    # Every broker learns of the deletion from the controller; one restarted by the broker-failure tests
    # just before can lag: give each two minutes more, then say which broker still lists what.
    deadline = time.monotonic() + 120
    views = topics_by_broker(kafka_settings, wanted[:2])
    while any(views.values()) and time.monotonic() < deadline:
        time.sleep(0.5)
        views = topics_by_broker(kafka_settings, wanted[:2])
    assert not any(views.values()), f"brokers still list deleted topics: {views}"
    assert delete_topics(admin, wanted) == []


def topics_by_broker(kafka_settings, names: list[str]) -> dict[str, list[str]]:
    """Per bootstrap address, which of ``names`` that broker's own metadata answer lists (a new client's
    first request goes to its bootstrap broker)."""
    views = {}
    for address in kafka_settings.bootstrap_servers.split(","):
        client = AdminClient({**admin_config(kafka_settings), "bootstrap.servers": address})
        views[address] = sorted(set(names) & set(client.list_topics(timeout=30).topics))
    return views
