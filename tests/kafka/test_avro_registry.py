"""Avro through the schema registry: round trip, BACKWARD evolution accepted, breaking refused."""

from __future__ import annotations

import json

import pytest
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from coinstream.core import Trade, trade_schema_str
from coinstream.core.kafka import SchemaRegistryUnavailableError, TradeAvroCodec, decode_wire_header
from coinstream.core.kafka.avro import schema_registry_client

from ..trades import sequenced_trades

pytestmark = pytest.mark.stack


def evolved_schema(extra_field: dict) -> str:
    schema = json.loads(trade_schema_str())
    schema["fields"].append(extra_field)
    return json.dumps(schema)


def test_trade_round_trips_through_the_registry(kafka_settings):
    registry = schema_registry_client(kafka_settings)
    codec = TradeAvroCodec.for_kafka(kafka_settings, registry=registry)
    trade = sequenced_trades(1)[0]

    payload = codec.encode(trade)

    assert decode_wire_header(payload) == codec.schema_id
    assert codec.decode(payload) == trade
    # confluent-kafka's own deserializer reads our framing unchanged
    record = AvroDeserializer(registry)(payload, SerializationContext(kafka_settings.trades_topic, MessageField.VALUE))
    assert record["trade_id"] == trade.trade_id and record["price"] == trade.price


def test_a_backward_compatible_change_is_accepted_and_old_records_still_decode(kafka_settings):
    registry = schema_registry_client(kafka_settings)
    v1 = TradeAvroCodec.for_kafka(kafka_settings, registry=registry)
    registry.set_compatibility(subject_name=v1.subject, level="BACKWARD")
    old_payload = v1.encode(sequenced_trades(1)[0])

    v2 = TradeAvroCodec.for_kafka(kafka_settings, registry=registry, schema_str=evolved_schema(
        {"name": "venue_type", "type": ["null", "string"], "default": None}))

    assert v2.schema_id != v1.schema_id
    upgraded = v2.decode_record(old_payload)
    assert upgraded["venue_type"] is None  # the new field's default fills records written before it
    assert v2.decode(old_payload) == v1.decode(old_payload)


def test_a_breaking_change_is_refused_with_a_clear_error(kafka_settings):
    registry = schema_registry_client(kafka_settings)
    subject = TradeAvroCodec.for_kafka(kafka_settings, registry=registry).subject
    registry.set_compatibility(subject_name=subject, level="BACKWARD")

    with pytest.raises(SchemaRegistryUnavailableError) as raised:
        TradeAvroCodec.for_kafka(kafka_settings, registry=registry,
                                 schema_str=evolved_schema({"name": "venue_type", "type": "string"}))

    assert f"refused the Trade schema for subject {subject!r} as incompatible" in str(raised.value)
    assert "BACKWARD-compatibly" in str(raised.value)


def test_an_unreachable_registry_says_how_to_fix_it(kafka_settings):
    settings = kafka_settings.model_copy(update={"schema_registry_url": "http://127.0.0.1:9/apis/ccompat/v7"})

    with pytest.raises(SchemaRegistryUnavailableError, match=r"cannot reach the schema registry .*coinstream stack up"):
        TradeAvroCodec.for_kafka(settings)


def test_decoding_restores_the_python_type(kafka_settings):
    codec = TradeAvroCodec.for_kafka(kafka_settings)
    trade = sequenced_trades(3)[2]
    assert isinstance(codec.decode(codec.encode(trade)), Trade)
