"""Waiting for the Trade schema before the demo starts its processor.

The processor reads the writer schemas of the trades subject once, at start-up, and stops with a clear
error when there is none (nothing was ever produced). On a fresh stack the subject appears when the
ingestor encodes its first trade, so the demo starts the ingestor first and waits here.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from confluent_kafka.schema_registry.error import SchemaRegistryError

from coinstream.core import KafkaSettings
from coinstream.core.kafka import schema_registry_client, trades_subject

SCHEMA_WAIT_S = 90.0


def wait_for_trade_schema(kafka: KafkaSettings, keep_waiting: Callable[[], bool], timeout_s: float = SCHEMA_WAIT_S,
                          poll_s: float = 0.5) -> bool:
    """Return True once ``<trades_topic>-value`` has a version; False on timeout or when ``keep_waiting``
    turns False (the ingestor died, or the user asked to stop)."""
    client = schema_registry_client(kafka)
    subject = trades_subject(kafka.trades_topic)
    deadline = time.monotonic() + timeout_s
    while keep_waiting():
        try:
            if client.get_versions(subject):
                return True
        except SchemaRegistryError as error:
            if error.http_status_code != 404:  # 404: no version yet, keep polling
                raise
        if time.monotonic() >= deadline:
            return False
        time.sleep(poll_s)
    return False
