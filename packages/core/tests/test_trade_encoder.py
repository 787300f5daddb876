"""The hand-written Trade encoder writes exactly fastavro's bytes."""

from __future__ import annotations

import io
import random

import fastavro
import pytest

from coinstream.core import Trade, derive_trade_id, load_trade_schema
from coinstream.core.kafka.trade_encoder import TradeEncoder, encode_long, encode_trade

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


BOUNDARY_TIMES = [0, 1, -1, 2**48 - 1, 2**48, 2**48 + 1, 2**55 - 1, 2**55, 2**55 + 1, 2**62, -2**48,
                  1_764_129_600_123_456, 1_764_129_600_999_999, 1_764_129_601_000_000]


def feed_like_trades() -> list[Trade]:
    """Trades as the ingestor sees them: few tickers, runs of one ingest time, times near the edges."""
    rng = random.Random(7)
    trades = []
    ingest_time = 1_764_129_600_000_000
    for i in range(3_000):
        if rng.random() < 0.2:
            ingest_time += rng.randrange(1, 3_000_000)
        trade_time = rng.choice(BOUNDARY_TIMES) if rng.random() < 0.3 else ingest_time - rng.randrange(0, 20_000_000)
        trades.append(Trade(trade_id=derive_trade_id("tiingo", "s", i), ticker=rng.choice(["btcusd", "ethusdt"]),
                            exchange=rng.choice(["binance", "gdax"]), price=rng.random() * 1e5, size=rng.random(),
                            trade_time=trade_time, ingest_time=rng.choice([ingest_time, *BOUNDARY_TIMES]),
                            source="tiingo", base_currency=rng.choice(["btc", "eth", None]),
                            quote_currency="usd", pair_rule=rng.choice(["metadata", None])))
    return trades


@pytest.mark.parametrize("cache_entries", [1, 2, 65_536])
def test_cached_parts_and_header_give_fastavros_bytes(cache_entries):
    """Cache hits, evictions, repeated ingest times and varint-length edges all encode exactly."""
    header = b"\x00\x00\x00\x00\x07"
    encoder = TradeEncoder(header, max_cache_entries=cache_entries)
    for trade in feed_like_trades() + random_trades(500):
        assert encoder.encode(trade) == header + fastavro_bytes(trade), trade


def test_caches_stay_bounded():
    encoder = TradeEncoder(max_cache_entries=4)
    for trade in random_trades(300):
        encoder.encode(trade)
    assert len(encoder._strings) <= 4 and len(encoder._high_bytes) <= 4
