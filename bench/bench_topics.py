"""Removing a benchmark's topics when it ends.

Each benchmark produces to fresh topics. Left behind, their replicated partitions keep costing the
brokers work on every follower fetch, and the next benchmark measures a slower cluster.
"""

from __future__ import annotations

from confluent_kafka.admin import AdminClient

from coinstream.core import KafkaSettings
from coinstream.core.kafka import admin_config, delete_topics, pipeline_topics


def delete_bench_topics(settings: KafkaSettings) -> None:
    """Delete the trades, dead-letter and feed gaps topics of ``settings`` (missing ones are skipped)."""
    delete_topics(AdminClient(admin_config(settings)), [topic.name for topic in pipeline_topics(settings)])
