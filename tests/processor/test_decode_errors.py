"""A record the processor cannot decode: with ``on_undecodable = "stop"`` it stops the query with the subject,
version and position named; by default it lands in quarantine and the good trades in trades."""

from __future__ import annotations

import struct

import pytest

from coinstream.spark.processor import ProcessorError
from coinstream.spark.sinks.memory import memory_rows
from coinstream.spark.writer_schemas import UnreadableSchemaError

from ..trades import trade

pytestmark = [pytest.mark.spark, pytest.mark.stack]

SINKS = [{"name": "memory", "input": "trades", "table": "decode_trades"}]
STOP = {"on_undecodable": "stop"}


def test_a_corrupt_body_stops_the_query_naming_subject_and_version(run_pipeline, produce, produce_raw,
                                                                   kafka_settings):
    codec = produce([trade("ok", 0)])
    produce_raw(b"\x00" + struct.pack(">I", codec.schema_id) + b"\x02")   # truncated Avro body

    with pytest.raises(ProcessorError) as failure:
        run_pipeline([{"name": "validate"}], SINKS, STOP)

    message = str(failure.value)
    subject = f"{kafka_settings.trades_topic}-value"
    assert f"its Avro body is not readable with subject '{subject}' version 1 (schema id {codec.schema_id})" in message
    assert f"record at {kafka_settings.trades_topic} partition " in message


def test_an_unknown_schema_id_stops_the_query_naming_the_subject(run_pipeline, produce, produce_raw, kafka_settings):
    codec = produce([trade("ok", 0)])
    produce_raw(b"\x00" + struct.pack(">I", 987_654) + codec.encode(trade("x", 1))[5:])

    with pytest.raises(ProcessorError) as failure:
        run_pipeline([{"name": "validate"}], SINKS, STOP)

    subject = f"{kafka_settings.trades_topic}-value"
    assert (f"carries schema id 987654, which subject '{subject}' did not have when the processor started "
            f"(known: version 1 = id {codec.schema_id})") in str(failure.value)


def test_a_topic_without_a_registered_schema_is_refused_before_spark_starts(run_pipeline, kafka_settings):
    with pytest.raises(UnreadableSchemaError) as failure:
        run_pipeline([{"name": "validate"}], SINKS)
    assert f"subject '{kafka_settings.trades_topic}-value' has no schema in the registry" in str(failure.value)


def test_by_default_a_poisoned_record_goes_to_quarantine_and_the_good_trades_to_trades(run_pipeline, produce,
                                                                                       produce_raw, kafka_settings):
    produce([trade("before", 0)])
    produce_raw(b"not avro at all")
    produce([trade("after", 1)])

    run_pipeline([{"name": "validate"}], [{"name": "memory", "input": "trades", "table": "poison_trades"},
                                          {"name": "memory", "input": "quarantine", "table": "poison_quarantine"}])

    trades = sorted(row["trade_id"] for row in memory_rows("poison_trades"))
    assert trades == ["after", "before"]
    [poisoned] = memory_rows("poison_quarantine")
    assert poisoned["reason"] == "undecodable Kafka record: not Confluent-framed (magic byte 0x6e, 15 bytes)"
    assert bytes(poisoned["raw_value"]) == b"not avro at all"
    assert poisoned["quarantined_by"] == "decode"
    assert poisoned["kafka_topic"] == kafka_settings.trades_topic
    assert poisoned["trade_id"] == (f"kafka:{kafka_settings.trades_topic}/{poisoned['kafka_partition']}/"
                                    f"{poisoned['kafka_offset']}")
