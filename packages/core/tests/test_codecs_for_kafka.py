"""`TradeAvroCodec.for_kafka` / `FeedGapAvroCodec.for_kafka`: the codec of a [kafka] topic's values."""

from __future__ import annotations

import json

import pytest

from coinstream.core import trade_schema_str
from coinstream.core.config import KafkaSettings
from coinstream.core.kafka import FeedGapAvroCodec, TradeAvroCodec, avro

SETTINGS = KafkaSettings(trades_topic="unit.trades", dead_letter_topic="unit.dlq", feed_gaps_topic="unit.gaps",
                         schema_registry_url="http://registry.invalid:8081")


def test_the_codecs_register_under_their_topics_subjects_in_the_settings_registry(registry, monkeypatch):
    asked: list[str] = []

    def client_for(settings: KafkaSettings) -> object:
        asked.append(settings.schema_registry_url)
        return registry

    monkeypatch.setattr(avro, "schema_registry_client", client_for)

    trades = TradeAvroCodec.for_kafka(SETTINGS)
    gaps = FeedGapAvroCodec.for_kafka(SETTINGS)

    assert asked == ["http://registry.invalid:8081", "http://registry.invalid:8081"]
    assert (trades.subject, trades.schema_id, gaps.subject, gaps.schema_id) == ("unit.trades-value", 1,
                                                                                "unit.gaps-value", 2)
    assert json.loads(registry.subjects["unit.trades-value"])["name"] == "Trade"
    assert json.loads(registry.subjects["unit.gaps-value"])["name"] == "FeedGap"


def test_a_given_registry_is_shared_and_no_client_is_built(registry, monkeypatch):
    def no_client(settings: KafkaSettings) -> None:
        pytest.fail("for_kafka built a registry client although one was given")

    monkeypatch.setattr(avro, "schema_registry_client", no_client)

    trades = TradeAvroCodec.for_kafka(SETTINGS, registry=registry)
    gaps = FeedGapAvroCodec.for_kafka(SETTINGS, registry=trades.registry)

    assert trades.registry is registry and gaps.registry is registry
    assert sorted(registry.subjects) == ["unit.gaps-value", "unit.trades-value"]


def test_a_schema_given_replaces_the_packages_own(registry):
    schema = json.loads(trade_schema_str())
    schema["fields"].append({"name": "venue_type", "type": "string", "default": "spot"})

    codec = TradeAvroCodec.for_kafka(SETTINGS, registry=registry, schema_str=json.dumps(schema))

    assert json.loads(registry.subjects["unit.trades-value"])["fields"][-1]["name"] == "venue_type"
    assert codec.schema_str == json.dumps(schema)
