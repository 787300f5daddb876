"""The Tiingo crypto websocket protocol: decoding server frames, encoding client and server frames.

Decoding is strict about what it uses and tolerant of what it does not: extra keys and extra
trailing array items are ignored; a short array, a wrong type, a non-positive or non-finite
number, a bad date or an unknown message type turns the frame into a :class:`DeadLetter` whose
reason names the field and the value, and which carries the frame's bytes unchanged.

This is the ingest hot path (one websocket message per trade), so :meth:`FrameDecoder.decode`
builds records directly, appends them to the caller's batch and returns quickly for data frames.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from coinstream.core import DeadLetter, SourceStats, Trade, derive_trade_id
from coinstream.tiingo.pairs import PairResolver
from coinstream.tiingo.timestamps import parse_iso_micros

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MICRO = timedelta(microseconds=1)
_fromisoformat = datetime.fromisoformat

SERVICE = "crypto_data"
TRADE_ITEMS = 6
QUOTE_ITEMS = 9
_TRADE_LAYOUT = '["T", ticker, date, exchange, size, price]'
_QUOTE_LAYOUT = '["Q", ticker, date, exchange, bidSize, bidPrice, midPrice, askSize, askPrice]'
_MAX_SHOWN = 80
_INF = math.inf
MAX_FRAME_BYTES = 1_048_576
# The raw kept in an oversized frame's dead letter: enough to see what it was, and small enough for
# any dead-letter topic (Kafka refuses messages over ~1 MB by default).
OVERSIZED_RAW_BYTES = 65_536


@dataclass(frozen=True, slots=True)
class Quote:
    """A top-of-book update (thresholdLevel 2). Not a trade: it never goes to the trades topic.

    ``quote_id`` is derived like a trade id, from the session and the frame's position.
    """

    quote_id: str
    ticker: str
    exchange: str
    bid_size: float
    bid_price: float
    mid_price: float
    ask_size: float
    ask_price: float
    quote_time: int
    ingest_time: int
    source: str
    base_currency: str | None = None
    quote_currency: str | None = None
    pair_rule: str | None = None


@dataclass(frozen=True, slots=True)
class Info:
    """An ``I`` frame: the subscription was accepted (or an echo of its settings)."""

    subscription_id: int | None
    message: str


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """An ``H`` frame."""


@dataclass(frozen=True, slots=True)
class ServerError:
    """An ``E`` frame: the server refused something. ``code`` is the HTTP-like status."""

    code: int | None
    message: str


ControlMessage = Info | Heartbeat | ServerError
HEARTBEAT = Heartbeat()


def shown(value: Any) -> str:
    """Return a value as a reason shows it: repr, cut to a readable length."""
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


class BadFrame(ValueError):
    """A frame that cannot be used; the message is the dead letter's reason."""


def _positive(field: str, value: Any) -> float:
    kind = type(value)
    if (kind is float or kind is int) and 0 < value < _INF:
        return value  # type: ignore[no-any-return]
    raise BadFrame(f"{field}: expected a positive number, got {shown(value)}")


def _text(field: str, value: Any) -> str:
    if type(value) is str and value:
        return value
    raise BadFrame(f"{field}: expected a non-empty string, got {shown(value)}")


def _date(field: str, value: Any) -> int:
    if type(value) is str:
        try:
            return parse_iso_micros(value)
        except ValueError:
            pass
    raise BadFrame(f"{field}: expected an ISO 8601 date with a UTC offset, got {shown(value)}")


class FrameDecoder:
    """Turns raw server frames into Trade/Quote/DeadLetter records and control messages."""

    def __init__(self, source: str, pairs: PairResolver, stats: SourceStats, *, include_quotes: bool = False,
                 max_frame_bytes: int = MAX_FRAME_BYTES) -> None:
        self.source = source
        self.pairs = pairs
        self.stats = stats
        self.include_quotes = include_quotes
        self.max_frame_bytes = max_frame_bytes
        stats.extra.setdefault("quotes", 0)
        stats.extra.setdefault("heartbeats", 0)
        stats.extra.setdefault("control_frames", 0)

    def decode(self, raw: bytes, session_id: str, sequence: int, received_us: int,
               out: list[Any]) -> ControlMessage | None:
        """Decode one frame: append its record (trade, quote or dead letter) to ``out``.

        Returns the control message of an I/H/E frame, else None. Never raises for bad input.
        Every frame counts in exactly one of ``stats.trades``, ``stats.extra["quotes"]``,
        ``stats.extra["control_frames"]`` (I/H/E) and ``stats.dead_letters``; their sum is ``stats.frames``.
        """
        stats = self.stats
        stats.frames += 1
        if len(raw) > self.max_frame_bytes:
            self._oversized(raw, session_id, sequence, received_us, out)
            return None
        try:
            message = orjson.loads(raw)
            if type(message) is not dict:
                raise BadFrame(f"frame: expected a JSON object, got {type(message).__name__}")
            kind = message.get("messageType")
            if kind == "A":
                self._data(message, raw, session_id, sequence, received_us, out)
                return None
            control: ControlMessage
            if kind == "H":
                stats.extra["heartbeats"] += 1
                control = HEARTBEAT
            elif kind == "I":
                control = _info(message)
            elif kind == "E":
                control = _error(message)
            else:
                raise BadFrame(f"messageType: expected one of 'A', 'H', 'I', 'E', got {shown(kind)}")
            stats.extra["control_frames"] += 1
            return control
        except orjson.JSONDecodeError as error:
            reason = f"frame: not valid JSON ({error})"
        except BadFrame as error:
            reason = str(error)
        stats.dead_letters += 1
        out.append(DeadLetter(self.source, reason, bytes(raw), session_id, sequence, received_us))
        return None

    def _oversized(self, raw: bytes, session_id: str, sequence: int, received_us: int, out: list[Any]) -> None:
        """A frame over ``max_frame_bytes``: a dead letter keeping only its first OVERSIZED_RAW_BYTES, never parsed."""
        size = len(raw)
        kept = min(self.max_frame_bytes, OVERSIZED_RAW_BYTES)
        reason = f"frame: {size:,} bytes, over max_frame_bytes={self.max_frame_bytes:,}; raw truncated to {kept:,}"
        self.stats.dead_letters += 1
        out.append(DeadLetter(self.source, reason, bytes(raw[:kept]), session_id, sequence, received_us,
                              {"original_size": str(size)}))

    def _data(self, message: dict[str, Any], raw: bytes, session_id: str, sequence: int, received_us: int,
              out: list[Any]) -> None:
        service = message.get("service", SERVICE)
        if service != SERVICE:
            raise BadFrame(f"service: expected {SERVICE!r}, got {shown(service)}")
        data = message.get("data")
        if type(data) is not list or not data:
            raise BadFrame(f"data: expected a non-empty array, got {shown(data)}")
        update = data[0]
        if update == "T":
            if len(data) < TRADE_ITEMS:
                raise BadFrame(f"data: a trade needs {TRADE_ITEMS} items {_TRADE_LAYOUT}, got {len(data)}: "
                               f"{shown(data)}")
            ticker, date, exchange, size, price = data[1], data[2], data[3], data[4], data[5]
            # The common case is checked inline; the helpers run only to name what failed.
            if type(ticker) is not str or not ticker:
                _text("ticker", ticker)
            if type(date) is str:
                try:
                    trade_time = (_fromisoformat(date) - _EPOCH) // _ONE_MICRO
                except (ValueError, TypeError):  # TypeError: naive minus aware, i.e. no offset
                    trade_time = _date("date", date)
            else:
                trade_time = _date("date", date)
            if type(exchange) is not str or not exchange:
                _text("exchange", exchange)
            kind = type(size)
            if not ((kind is float or kind is int) and 0 < size < _INF):
                _positive("size", size)
            kind = type(price)
            if not ((kind is float or kind is int) and 0 < price < _INF):
                _positive("price", price)
            base, quote, rule = self.pairs.split(ticker)
            out.append(Trade(derive_trade_id(self.source, session_id, sequence), ticker, exchange, price, size,
                             trade_time, received_us, self.source, base, quote, rule))
            self.stats.trades += 1
        elif update == "Q":
            out_quote = self._quote(data, session_id, sequence, received_us)
            self.stats.extra["quotes"] += 1
            if self.include_quotes:
                out.append(out_quote)
        else:
            raise BadFrame(f"data[0]: expected 'T' (trade) or 'Q' (quote), got {shown(update)}")

    def _quote(self, data: list[Any], session_id: str, sequence: int, received_us: int) -> Quote:
        if len(data) < QUOTE_ITEMS:
            raise BadFrame(f"data: a quote needs {QUOTE_ITEMS} items {_QUOTE_LAYOUT}, got {len(data)}: "
                           f"{shown(data)}")
        ticker = _text("ticker", data[1])
        quote_time = _date("date", data[2])
        exchange = _text("exchange", data[3])
        bid_size = _positive("bidSize", data[4])
        bid_price = _positive("bidPrice", data[5])
        mid_price = _positive("midPrice", data[6])
        ask_size = _positive("askSize", data[7])
        ask_price = _positive("askPrice", data[8])
        base, quote, rule = self.pairs.split(ticker)
        return Quote(derive_trade_id(self.source, session_id, sequence), ticker, exchange, bid_size, bid_price,
                     mid_price, ask_size, ask_price, quote_time, received_us, self.source, base, quote, rule)


def _response(message: dict[str, Any]) -> tuple[int | None, str]:
    response = message.get("response")
    if type(response) is not dict:
        return None, ""
    code = response.get("code")
    text = response.get("message")
    return (code if type(code) is int else None), (text if type(text) is str else "")


def _info(message: dict[str, Any]) -> Info:
    _, text = _response(message)
    data = message.get("data")
    subscription = data.get("subscriptionId") if type(data) is dict else None
    return Info(subscription if type(subscription) is int else None, text)


def _error(message: dict[str, Any]) -> ServerError:
    code, text = _response(message)
    return ServerError(code, text)


# -- encoding --------------------------------------------------------------------------------------
def subscribe_frame(api_key: str, threshold_level: int, tickers: list[str]) -> bytes:
    """Return the client's subscribe frame. The token travels inside the JSON, never in the URL."""
    return orjson.dumps({"eventName": "subscribe", "authorization": api_key,
                         "eventData": {"thresholdLevel": threshold_level, "tickers": tickers}})


def info_frame(subscription_id: int) -> bytes:
    """Return the server's ``I`` frame acknowledging a subscription."""
    return orjson.dumps({"messageType": "I", "response": {"code": 200, "message": "Success"},
                         "data": {"subscriptionId": subscription_id}})


HEARTBEAT_FRAME = b'{"messageType":"H","response":{"code":200,"message":"HeartBeat"}}'


def error_frame(code: int, message: str) -> bytes:
    """Return the server's ``E`` frame."""
    return orjson.dumps({"messageType": "E", "response": {"code": code, "message": message}})
