"""The demo starts its processor only once the ingestor has registered the Trade schema (on a fresh
registry the processor would otherwise stop at once: no writer schema to read)."""

from __future__ import annotations

import time
import uuid

import pytest

from coinstream.core import KafkaSettings, Trade
from coinstream.core.kafka import TradeAvroCodec
from coinstream.devstack.demo.schema_wait import wait_for_trade_schema

pytestmark = [pytest.mark.stack]


def fresh_kafka(local_stack) -> KafkaSettings:
    suffix = uuid.uuid4().hex[:10]
    return KafkaSettings(bootstrap_servers=local_stack.bootstrap_servers,
                         schema_registry_url=local_stack.schema_registry_url,
                         trades_topic=f"test.demo.{suffix}", dead_letter_topic=f"test.demo.dlq.{suffix}",
                         feed_gaps_topic=f"test.demo.gaps.{suffix}")


def test_the_wait_ends_when_the_first_trade_registers_the_schema(local_stack):
    kafka = fresh_kafka(local_stack)
    polls: list[float] = []
    now = int(time.time() * 1_000_000)
    trade = Trade(trade_id="t-1", ticker="btcusdt", exchange="binance", price=1.0, size=1.0, trade_time=now,
                  ingest_time=now, source="test")

    def ingestor_running() -> bool:
        polls.append(time.monotonic())
        if len(polls) == 3:  # the ingestor's first trade arrives while the demo waits
            TradeAvroCodec.for_kafka(kafka).encode(trade)
        return True

    assert wait_for_trade_schema(kafka, ingestor_running, timeout_s=30, poll_s=0.05)
    assert len(polls) >= 3


def test_the_wait_gives_up_when_the_ingestor_stops_or_time_runs_out(local_stack):
    kafka = fresh_kafka(local_stack)
    answers = iter([True, True, False])
    assert not wait_for_trade_schema(kafka, lambda: next(answers), timeout_s=30, poll_s=0.01)
    assert not wait_for_trade_schema(kafka, lambda: True, timeout_s=0.3, poll_s=0.05)
