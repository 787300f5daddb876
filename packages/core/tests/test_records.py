"""The Trade contract: Avro round trip through the schema file, deterministic trade ids."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import fastavro
import pytest

from coinstream.core import DeadLetter, Trade, derive_trade_id, load_trade_schema
from coinstream.core.records.trade import datetime_to_micros

TRADE = Trade(trade_id=derive_trade_id("tiingo", "s1", 7), ticker="btcusdt", exchange="binance",
              price=80132.5, size=0.0002, trade_time=1_788_000_000_123_456, ingest_time=1_788_000_000_223_456,
              source="tiingo", base_currency="btc", quote_currency="usdt", pair_rule="metadata")


def test_trade_round_trips_through_the_avro_schema_file():
    schema = fastavro.parse_schema(load_trade_schema())
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, schema, TRADE.to_avro_dict())
    buffer.seek(0)
    decoded = Trade.from_avro_dict(fastavro.schemaless_reader(buffer, schema, schema))
    assert decoded == TRADE


def test_extreme_prices_and_sizes_survive_the_round_trip():
    schema = fastavro.parse_schema(load_trade_schema())
    dust = Trade("id", "tngospwstetheth", "uniswapv3polygon", 1.234e-13, 9.87e8, 1, 2, "tiingo")
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, schema, dust.to_avro_dict())
    buffer.seek(0)
    decoded = Trade.from_avro_dict(fastavro.schemaless_reader(buffer, schema, schema))
    assert decoded.price == 1.234e-13 and decoded.size == 9.87e8
    assert decoded.base_currency is None and decoded.pair_rule is None


def test_schema_fields_match_the_python_type():
    names = [field["name"] for field in load_trade_schema()["fields"]]
    assert sorted(names) == sorted(Trade.__dataclass_fields__)


def test_trade_id_is_deterministic_for_a_replayed_position():
    assert derive_trade_id("tiingo", "session-a", 41) == derive_trade_id("tiingo", "session-a", 41)
    assert len(derive_trade_id("tiingo", "session-a", 41)) == 32


def test_identical_trades_at_different_positions_get_distinct_ids():
    ids = {derive_trade_id("tiingo", "session-a", sequence) for sequence in range(10_000)}
    assert len(ids) == 10_000
    assert derive_trade_id("tiingo", "session-a", 3, 0) != derive_trade_id("tiingo", "session-a", 3, 1)
    assert derive_trade_id("tiingo", "session-a", 3) != derive_trade_id("tiingo", "session-b", 3)


def test_negative_positions_are_refused():
    with pytest.raises(ValueError, match="frame_sequence=-1"):
        derive_trade_id("tiingo", "s", -1)


def test_datetime_to_micros_keeps_utc_and_refuses_naive():
    assert datetime_to_micros(datetime(2026, 9, 6, 3, 55, 54, 366000, tzinfo=UTC)) == 1_788_666_954_366_000
    with pytest.raises(ValueError, match="no time zone"):
        datetime_to_micros(datetime(2026, 9, 6))


def test_dead_letter_headers_carry_reason_source_and_position():
    letter = DeadLetter(source="tiingo", reason="price: expected a positive number, got -3.0", raw=b"[]",
                        session_id="s1", frame_sequence=12, received_time=5, details={"message_type": "A"})
    headers = dict(letter.headers())
    assert headers["coinstream.reason"] == b"price: expected a positive number, got -3.0"
    assert headers["coinstream.source"] == b"tiingo"
    assert headers["coinstream.frame_sequence"] == b"12"
    assert headers["coinstream.message_type"] == b"A"


def test_trade_id_format_is_pinned():
    # Ids are persisted in Kafka and Delta: this value must never change.
    import hashlib

    expected = hashlib.blake2b("tiingo\x1fsession-a\x1f41\x1f0".encode(), digest_size=16).hexdigest()
    assert derive_trade_id("tiingo", "session-a", 41) == expected
