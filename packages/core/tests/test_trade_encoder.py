"""The hand-written Trade encoder writes exactly fastavro's bytes."""

from __future__ import annotations

import io
import random

import fastavro
import pytest

from coinstream.core import Trade, derive_trade_id, load_trade_schema
from coinstream.core.kafka.trade_encoder import encode_long, encode_trade

SCHEMA = fastavro.parse_schema(load_trade_schema())


def fastavro_bytes(trade: Trade) -> bytes:
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, SCHEMA, trade.to_avro_dict())
    return buffer.getvalue()


def random_trades(count: int) -> list[Trade]:
    rng = random.Random(42)
    words = ["btcusdt", "ethusd", "tngospwstetheth", "1inchusdt", "bücher€", "", "x" * 300]
    maybe = [None, "btc", "usdt", "éth"]
    return [Trade(trade_id=derive_trade_id("t", "s", i), ticker=rng.choice(words), exchange=rng.choice(words),
                  price=rng.choice([1e-13, 0.5, 80132.0, 1.5e9, -0.0, 123456789.123456789]) * rng.random(),
                  size=10 ** rng.uniform(-13, 9), trade_time=rng.randrange(-2**62, 2**62),
                  ingest_time=rng.randrange(0, 2**53), source=rng.choice(words), base_currency=rng.choice(maybe),
                  quote_currency=rng.choice(maybe), pair_rule=rng.choice([None, "metadata", "quote_suffix"]))
            for i in range(count)]


@pytest.mark.parametrize("value", [0, 1, -1, 63, -64, 64, 127, 128, 2**31, -2**31, 2**63 - 1, -2**63])
def test_long_encoding_matches_avro(value):
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, "long", value)
    assert encode_long(value) == buffer.getvalue()


def test_every_trade_encodes_to_fastavros_bytes():
    for trade in random_trades(2_000):
        assert encode_trade(trade) == fastavro_bytes(trade), trade
