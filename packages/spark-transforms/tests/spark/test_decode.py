"""Decoding the trades topic: readable records become trades, undecodable ones quarantine rows (or stop)."""

from __future__ import annotations

import struct
from typing import Any

import pytest

from coinstream.core import Trade, trade_schema_str
from coinstream.core.kafka.trade_encoder import TradeEncoder
from coinstream.spark.api import QUARANTINE, TRADES
from coinstream.spark.decode import decode_trades, split_trades
from coinstream.spark.streams import build_streams
from coinstream.spark.writer_schemas import WriterSchema

pytestmark = pytest.mark.spark

SCHEMA_ID = 7
WRITERS = [WriterSchema("crypto.trades.v1-value", 1, SCHEMA_ID, trade_schema_str())]
GOOD = TradeEncoder(b"\x00" + struct.pack(">I", SCHEMA_ID))


def framed(trade_id: str) -> bytes:
    return GOOD.encode(Trade(trade_id=trade_id, ticker="btcusdt", exchange="binance", price=100.0, size=1.0,
                             trade_time=1_767_607_200_000_000, ingest_time=1_767_607_200_250_000, source="test"))


POISONED = {
    1: b"hello",                                                       # not framed
    3: b"\x00" + struct.pack(">I", 42) + framed("x")[5:],              # unknown schema id
    4: b"\x00" + struct.pack(">I", SCHEMA_ID) + b"\x02",               # truncated Avro body
    5: b"\x00\x01",                                                    # too short for a header
}


def raw_records(spark: Any) -> Any:
    """Offsets 0, 2, 6 readable trades a, b, c; the others poisoned."""
    values = {0: framed("a"), 2: framed("b"), 6: framed("c"), **POISONED}
    rows = [("crypto.trades.v1", 0, offset, bytearray(value)) for offset, value in sorted(values.items())]
    return spark.createDataFrame(rows, "topic string, partition int, offset long, value binary")


def test_undecodable_records_become_quarantine_rows_with_their_bytes_offset_and_reason(spark):
    readable, undecodable = split_trades(raw_records(spark), WRITERS)

    assert sorted(row["trade_id"] for row in readable.collect()) == ["a", "b", "c"]
    rows = {row["kafka_offset"]: row.asDict() for row in undecodable.collect()}
    assert sorted(rows) == [1, 3, 4, 5]
    assert rows[1]["reason"] == "undecodable Kafka record: not Confluent-framed (magic byte 0x68, 5 bytes)"
    assert rows[3]["reason"] == ("undecodable Kafka record: unknown schema id 42 (subject 'crypto.trades.v1-value' "
                                 "had version 1 = id 7 when the processor started)")
    assert rows[4]["reason"] == ("undecodable Kafka record: Avro decoding failed with subject "
                                 "'crypto.trades.v1-value' version 1 (schema id 7)")
    assert rows[5]["reason"] == "undecodable Kafka record: not Confluent-framed (magic byte 0x00, 2 bytes)"
    for offset, row in rows.items():
        assert bytes(row["raw_value"]) == POISONED[offset]
        assert row["trade_id"] == f"kafka:crypto.trades.v1/0/{offset}"
        assert (row["quarantined_by"], row["kafka_topic"], row["kafka_partition"]) == ("decode", "crypto.trades.v1", 0)


def test_the_quarantine_stream_carries_undecodable_records_beside_the_trades(spark):
    readable, undecodable = split_trades(raw_records(spark), WRITERS)
    streams = build_streams(readable, [], undecodable)

    assert sorted(row["trade_id"] for row in streams[TRADES].frame.collect()) == ["a", "b", "c"]
    quarantine = streams[QUARANTINE]
    assert quarantine.keys == ("trade_id",)
    rows = quarantine.frame.collect()
    assert sorted(row["kafka_offset"] for row in rows) == [1, 3, 4, 5]
    assert {row["ticker"] for row in rows} == {None}           # the trade columns are there, null
    assert all(row["_recheck"] for row in rows)                # so a re-read batch lands once


def test_with_stop_an_undecodable_record_fails_naming_its_offset(spark):
    rows = [("crypto.trades.v1", 0, 0, bytearray(framed("a"))), ("crypto.trades.v1", 0, 1, bytearray(b"hello"))]
    raw = spark.createDataFrame(rows, "topic string, partition int, offset long, value binary")
    with pytest.raises(Exception) as failure:
        decode_trades(raw, WRITERS).collect()
    assert ("cannot decode the record at crypto.trades.v1 partition 0 offset 1: it is not in the Confluent wire "
            "format") in str(failure.value)
