"""SIGTERM to a producing ingestor: everything it sent is acknowledged before it exits."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from confluent_kafka import Consumer

from coinstream.core.kafka import watermark_offsets

from .topic_reader import read_topic

pytestmark = pytest.mark.stack

SCRIPT = Path(__file__).with_name("endless_ingest.py")


def topic_size(bootstrap: str, topic: str) -> int:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "size-probe"})
    try:
        partitions = consumer.list_topics(topic, timeout=30).topics[topic].partitions
        return sum(high - low for low, high in watermark_offsets(consumer, topic, partitions).values())
    finally:
        consumer.close()


def test_sigterm_flushes_every_sent_trade_before_exit(kafka_settings):
    process = subprocess.Popen(
        [sys.executable, str(SCRIPT), kafka_settings.bootstrap_servers, kafka_settings.schema_registry_url,
         kafka_settings.trades_topic, kafka_settings.dead_letter_topic],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
        time.sleep(6)  # let it produce for a while, with records in flight
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode == 0, stderr
    report = json.loads(stdout.strip().splitlines()[-1])
    assert report["reason"] == "signal SIGTERM"
    assert report["trades_sent"] > 1_000
    assert report["pending"] == 0 and report["failed"] == 0
    assert report["trades_acked"] == report["trades_sent"]
    # Every acknowledged record is in the topic, read back, and the topic holds nothing more.
    read = read_topic(kafka_settings.bootstrap_servers, kafka_settings.trades_topic, report["trades_acked"])
    assert len(read.messages) == report["trades_acked"]
    assert topic_size(kafka_settings.bootstrap_servers, kafka_settings.trades_topic) == report["trades_acked"]
