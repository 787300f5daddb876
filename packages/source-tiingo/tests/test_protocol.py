"""Decoding every server message type and every malformation."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import orjson
import pytest
from coinstream.core import DeadLetter, SourceStats, Trade, derive_trade_id
from coinstream.tiingo import Quote
from coinstream.tiingo.pairs import PairResolver
from coinstream.tiingo.protocol import (
    HEARTBEAT_FRAME,
    FrameDecoder,
    Heartbeat,
    Info,
    ServerError,
    error_frame,
    info_frame,
    subscribe_frame,
)
from coinstream.tiingo.simulator.faults import EXTRA_ITEMS_PAYLOAD, INVALID, MALFORMED, oversized_text
from coinstream.tiingo.timestamps import format_iso_micros, parse_iso_micros

DATE = "2026-09-06T03:55:54.366000+00:00"
DATE_US = ((datetime(2026, 9, 6, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)).days * 86_400
           + 3 * 3600 + 55 * 60 + 54) * 1_000_000 + 366_000


def decoder(include_quotes: bool = False) -> FrameDecoder:
    pairs = PairResolver()
    pairs.load_metadata({"btcusd": ("btc", "usd")})
    return FrameDecoder("tiingo", pairs, SourceStats(), include_quotes=include_quotes)


def decode_one(raw: bytes, include_quotes: bool = False,
               sequence: int = 7) -> tuple[object, list[object], FrameDecoder]:
    dec = decoder(include_quotes)
    out: list[object] = []
    control = dec.decode(raw, "session-1", sequence, 1_000, out)
    return control, out, dec


def test_trade_frame_becomes_a_trade_with_a_positional_id() -> None:
    raw = b'{"messageType":"A","service":"crypto_data","data":["T","btcusd","' + DATE.encode() + \
        b'","bitfinex",0.0002,80132.0]}'
    control, out, dec = decode_one(raw, sequence=7)
    assert control is None
    assert out == [Trade(derive_trade_id("tiingo", "session-1", 7, 0), "btcusd", "bitfinex", 80132.0, 0.0002,
                         DATE_US, 1_000, "tiingo", "btc", "usd", "metadata")]
    assert (dec.stats.frames, dec.stats.trades, dec.stats.dead_letters) == (1, 1, 0)


def test_exponent_numbers_integers_and_extra_trailing_items_are_accepted() -> None:
    raw = b'{"messageType":"A","service":"crypto_data","data":["T","shibusdt","' + DATE.encode() + \
        b'","bybit",9.631e-05,3,"extra",{"x":1}]}'
    _, out, _ = decode_one(raw)
    trade = out[0]
    assert isinstance(trade, Trade)
    assert (trade.size, trade.price, trade.base_currency, trade.quote_currency, trade.pair_rule) == (
        9.631e-05, 3, "shib", "usdt", "quote_suffix")
    _, out, _ = decode_one(EXTRA_ITEMS_PAYLOAD)
    assert isinstance(out[0], Trade) and out[0].exchange == "bitfinex"


def test_quote_frame_is_a_quote_only_when_asked_for() -> None:
    raw = orjson.dumps({"messageType": "A", "service": "crypto_data",
                        "data": ["Q", "btcusd", DATE, "gdax", 6.517e-5, 80046.4, 80046.405, 0.63361423, 80046.41]})
    _, out, dec = decode_one(raw, include_quotes=True, sequence=3)
    assert out == [Quote(derive_trade_id("tiingo", "session-1", 3, 0), "btcusd", "gdax", 6.517e-5, 80046.4,
                         80046.405, 0.63361423, 80046.41, DATE_US, 1_000, "tiingo", "btc", "usd", "metadata")]
    _, out, dec = decode_one(raw, include_quotes=False)
    assert out == []
    assert (dec.stats.extra["quotes"], dec.stats.trades, dec.stats.dead_letters) == (1, 0, 0)


def test_info_heartbeat_and_error_frames_are_control_messages() -> None:
    control, out, _ = decode_one(info_frame(49792869))
    assert control == Info(49792869, "Success") and out == []
    echo = b'{"messageType":"I","response":{"code":200,"message":"Success"},"data":{"tickers":["*"],' \
        b'"thresholdLevel":"5"}}'
    assert decode_one(echo)[0] == Info(None, "Success")
    control, out, dec = decode_one(HEARTBEAT_FRAME)
    assert control == Heartbeat() and out == [] and dec.stats.extra["heartbeats"] == 1
    assert decode_one(error_frame(403, "not entitled"))[0] == ServerError(403, "not entitled")
    assert decode_one(b'{"messageType":"E"}')[0] == ServerError(None, "")


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_every_malformation_is_a_dead_letter_naming_field_and_value(kind: str) -> None:
    malformed = MALFORMED[kind]
    control, out, dec = decode_one(malformed.payload, include_quotes=True, sequence=11)
    assert control is None
    assert len(out) == 1
    letter = out[0]
    assert isinstance(letter, DeadLetter)
    assert letter.reason.startswith(malformed.field + ":"), letter.reason
    assert malformed.shown in letter.reason, letter.reason
    assert (letter.raw, letter.session_id, letter.frame_sequence, letter.received_time, letter.source) == (
        malformed.payload, "session-1", 11, 1_000, "tiingo")
    assert (dec.stats.dead_letters, dec.stats.trades) == (1, 0)


def test_reason_texts_read_as_documented() -> None:
    reasons = {kind: decode_one(m.payload, include_quotes=True)[1][0].reason  # type: ignore[attr-defined]
               for kind, m in MALFORMED.items()}
    assert reasons["negative_price"] == "price: expected a positive number, got -3.0"
    assert reasons["string_price"] == "price: expected a positive number, got '80132.0'"
    assert reasons["bad_date"] == "date: expected an ISO 8601 date with a UTC offset, got 'yesterday'"
    assert reasons["short_trade"].startswith('data: a trade needs 6 items ["T", ticker, date, exchange, size, '
                                             'price], got 5')
    assert reasons["unknown_message_type"] == "messageType: expected one of 'A', 'H', 'I', 'E', got 'X'"


@pytest.mark.parametrize(("size_json", "reason"), [
    (b"-0.0", "size: expected a positive number, got -0.0"),
    (b"null", "size: expected a positive number, got None"),
    (b"[1]", "size: expected a positive number, got [1]"),
    (b'"1"', "size: expected a positive number, got '1'"),
    (b"1e999", "frame: not valid JSON (number is infinity when parsed as double: line 1 column 107 (char 106))"),
])
def test_non_finite_and_wrongly_typed_sizes_are_rejected(size_json: bytes, reason: str) -> None:
    raw = b'{"messageType":"A","service":"crypto_data","data":["T","btcusd","' + DATE.encode() + \
        b'","gdax",' + size_json + b',2.0]}'
    letter = decode_one(raw)[1][0]
    assert isinstance(letter, DeadLetter)
    assert letter.reason == reason


def test_other_service_is_rejected_by_name() -> None:
    raw = b'{"messageType":"A","service":"iex","data":["T","aapl"]}'
    assert decode_one(raw)[1][0].reason == "service: expected 'crypto_data', got 'iex'"  # type: ignore[attr-defined]


def test_dates_parse_to_utc_micros_whatever_the_offset() -> None:
    assert parse_iso_micros(DATE) == DATE_US
    assert parse_iso_micros("2026-09-06T05:55:54.366000+02:00") == DATE_US
    assert parse_iso_micros("2026-09-06T03:55:54.366Z") == DATE_US
    assert format_iso_micros(DATE_US) == DATE
    for bad in ("2026-09-06T03:55:54.366000", "2026-13-06T03:55:54.366000+00:00", "soon"):
        with pytest.raises(ValueError):
            parse_iso_micros(bad)


def test_subscribe_frame_carries_the_token_inside_the_json() -> None:
    frame = orjson.loads(subscribe_frame("tok-123", 5, ["btcusd"]))
    assert frame == {"eventName": "subscribe", "authorization": "tok-123",
                     "eventData": {"thresholdLevel": 5, "tickers": ["btcusd"]}}


def test_every_frame_counts_once_trades_quotes_control_frames_or_dead_letters() -> None:
    trade = EXTRA_ITEMS_PAYLOAD
    quote = orjson.dumps({"messageType": "A", "service": "crypto_data",
                          "data": ["Q", "btcusd", DATE, "gdax", 1.0, 2.0, 2.5, 1.0, 3.0]})
    frames = [info_frame(1), trade, HEARTBEAT_FRAME, quote, MALFORMED["short_quote"].payload, trade,
              error_frame(429, "slow down"), MALFORMED["not_json"].payload, HEARTBEAT_FRAME, b'{"messageType":"I"}']
    dec = decoder()
    out: list[object] = []
    for sequence, raw in enumerate(frames):
        dec.decode(raw, "s", sequence, 1_000, out)
    stats = dec.stats
    assert (stats.frames, stats.trades, stats.extra["quotes"], stats.extra["control_frames"], stats.dead_letters,
            stats.extra["heartbeats"]) == (10, 2, 1, 5, 2, 2)
    assert stats.frames == stats.trades + stats.extra["quotes"] + stats.extra["control_frames"] + stats.dead_letters


# validate's defaults (coinstream.spark.transforms.validate.ValidateSettings): what an invalid trade must fail
_TICKER_PATTERN = re.compile(r"^[a-z0-9]{2,32}$")
_EXCHANGE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_MAX_TRADE_AGE_US = 86_400_000_000
_MAX_CLOCK_SKEW_US = 300_000_000


@pytest.mark.parametrize("kind", sorted(INVALID))
def test_an_invalid_trade_is_a_trade_for_the_source_with_exactly_one_field_validate_rejects(kind: str) -> None:
    invalid = INVALID[kind]
    now_us = time.time_ns() // 1000
    dec = decoder()
    out: list[object] = []
    dec.decode(invalid.payload(now_us).encode(), "s", 3, now_us + 2_000, out)
    [trade] = out
    assert isinstance(trade, Trade), trade
    failed = {
        "trade_time": (trade.ingest_time - trade.trade_time > _MAX_TRADE_AGE_US
                       or trade.trade_time - trade.ingest_time > _MAX_CLOCK_SKEW_US),
        "ticker": not _TICKER_PATTERN.match(trade.ticker),
        "exchange": not _EXCHANGE_PATTERN.match(trade.exchange),
        "price": not trade.price > 0,
        "size": not trade.size > 0,
    }
    assert [name for name, bad in failed.items() if bad] == [invalid.field]
    expected = {"stale": ("trade_time", now_us - 2 * _MAX_TRADE_AGE_US),
                "future": ("trade_time", now_us + 1_800_000_000),
                "bad_exchange": ("exchange", "Bad Exchange!"), "bad_ticker": ("ticker", "BTC-USD")}[kind]
    assert getattr(trade, expected[0]) == expected[1]
    assert (dec.stats.trades, dec.stats.dead_letters) == (1, 0)


def test_a_frame_over_max_frame_bytes_is_a_dead_letter_with_a_truncated_raw() -> None:
    raw = oversized_text(3 * 1024 * 1024, 1_000).encode()
    assert len(raw) == 3_145_728
    dec = FrameDecoder("tiingo", PairResolver(), SourceStats(), max_frame_bytes=1_048_576)
    out: list[object] = []
    assert dec.decode(raw, "s", 4, 1_000, out) is None
    [letter] = out
    assert isinstance(letter, DeadLetter)
    assert letter.reason == "frame: 3,145,728 bytes, over max_frame_bytes=1,048,576; raw truncated to 65,536"
    assert letter.raw == raw[:65_536] and letter.details == {"original_size": "3145728"}
    assert (letter.session_id, letter.frame_sequence, dec.stats.dead_letters, dec.stats.frames) == ("s", 4, 1, 1)
    # at the limit it is an ordinary frame: here a valid trade with a long trailing item
    small = FrameDecoder("tiingo", PairResolver(), SourceStats(), max_frame_bytes=4_096)
    out.clear()
    small.decode(oversized_text(4_096, 1_000).encode(), "s", 5, 1_000, out)
    assert isinstance(out[0], Trade) and out[0].trade_time == 1_000
    small.decode(oversized_text(4_097, 1_000).encode(), "s", 6, 1_000, out)
    assert isinstance(out[1], DeadLetter) and out[1].raw == oversized_text(4_097, 1_000).encode()[:4_096]
