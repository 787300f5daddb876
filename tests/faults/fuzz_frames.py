"""Frames no source may turn into a trade, drawn by hypothesis: each one a dead letter, whatever it holds.

Every strategy breaks the Tiingo protocol in a way the decoder must catch: text that is not JSON, JSON
that is not an object, an unknown message type, a missing or empty ``data``, an unknown update type,
a short trade or quote, a field of the wrong type or out of range, a foreign ``service``. None makes a
control frame (I, H, E): those are not data, and an E frame would end the session. Oversized frames
(over ``max_frame_bytes``, under the 4 MiB transport cap) are drawn apart, they are large.
"""

from __future__ import annotations

import json
import random
from typing import Any

import orjson
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from coinstream.tiingo.timestamps import parse_iso_micros

_DATE = "2026-12-02T10:00:00.123456+00:00"
_TRADE: list[Any] = ["T", "btcusd", _DATE, "gdax", 0.5, 60_000.0]
_QUOTE: list[Any] = ["Q", "btcusd", _DATE, "gdax", 1.0, 59_990.0, 60_000.0, 2.0, 60_010.0]
MAX_FRAME_BYTES = 1_048_576
TRANSPORT_CAP = 4 * 1024 * 1024
_CONTROL_TYPES = ("A", "H", "I", "E")


def _message(data: Any, **fields: Any) -> str:
    return json.dumps({"messageType": "A", "service": "crypto_data", "data": data, **fields})


def _not_json(text: str) -> bool:
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError:
        return True
    return False


def _not_a_date(value: str) -> bool:
    try:
        parse_iso_micros(value)
    except (ValueError, TypeError):
        return True
    return False


_short_text = st.text(max_size=20)
_json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
                            | _short_text, lambda inner: st.lists(inner, max_size=3)
                            | st.dictionaries(_short_text, inner, max_size=3), max_leaves=6)
_not_text = st.one_of(st.just(""), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.none(),
                      st.booleans(), st.lists(_short_text, max_size=2))
_not_positive = st.one_of(st.integers(max_value=0), st.floats(max_value=0.0, allow_nan=False, allow_infinity=False),
                          _short_text, st.booleans(), st.none(), st.lists(st.integers(), max_size=2))
_not_a_date_value = st.one_of(_not_text, _short_text.filter(_not_a_date),
                              st.just("2026-12-02T10:00:00"), st.just("yesterday"))


@st.composite
def _bad_field(draw: st.DrawFn) -> str:
    """A trade with one field broken: ticker/exchange not a non-empty string, a bad date, size/price <= 0."""
    index = draw(st.integers(1, 5))
    value = draw({1: _not_text, 2: _not_a_date_value, 3: _not_text, 4: _not_positive, 5: _not_positive}[index])
    data = list(_TRADE)
    data[index] = value
    return _message(data)


def _cut(text: str, fraction: float) -> str:
    return text[: max(0, min(len(text) - 1, int(len(text) * fraction)))]


malformed_frame = st.one_of(
    st.floats(0, 1).map(lambda f: _cut(_message(_TRADE), f)),                       # a frame cut short: not JSON
    _short_text.filter(_not_json),                                                   # text that is not JSON
    _json_values.filter(lambda v: not isinstance(v, dict)).map(json.dumps),           # JSON, not an object
    st.one_of(_short_text.filter(lambda t: t not in _CONTROL_TYPES), st.integers(), st.none())
    .map(lambda kind: json.dumps({"messageType": kind, "data": _TRADE})),             # unknown message type
    st.one_of(st.none(), st.just([]), st.integers(), _short_text, st.dictionaries(_short_text, st.integers(),
                                                                                  max_size=2)).map(_message),
    st.one_of(_short_text.filter(lambda t: t not in ("T", "Q")), st.integers(), st.none())
    .map(lambda update: _message([update, *_TRADE[1:]])),                             # unknown update type
    st.integers(1, 5).map(lambda n: _message(_TRADE[:n])),                            # a short trade
    st.integers(1, 8).map(lambda n: _message(_QUOTE[:n])),                            # a short quote
    _bad_field(),
    _short_text.filter(lambda s: s != "crypto_data").map(lambda s: _message(_TRADE, service=s)),
)


def oversized_frame(size: int) -> str:
    """A valid trade padded to ``size`` bytes by one long trailing item."""
    head = _message([*_TRADE, ""])
    return head[:-3] + "x" * max(0, size - len(head)) + head[-3:]


def draw_corpus(count: int, oversized: int, corpus_seed: int = 15) -> list[str]:
    """``count`` distinct malformed frames drawn by hypothesis, ``oversized`` of them over max_frame_bytes, mixed.

    Hypothesis favours small, simple values (the empty string comes up hundreds of times in 10,000
    draws), so frames are drawn until ``count`` distinct ones are collected.
    """
    frames: dict[str, None] = {}
    sizes: list[int] = []
    quiet = settings(database=None, deadline=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck),
                     max_examples=100)

    @quiet
    @given(st.lists(malformed_frame, min_size=50, max_size=50))
    def collect(batch: list[str]) -> None:
        frames.update(dict.fromkeys(batch))

    @quiet
    @given(st.integers(MAX_FRAME_BYTES + 1, TRANSPORT_CAP - 64 * 1024))
    def collect_size(size: int) -> None:
        sizes.append(size)

    round_ = 0
    while len(frames) < count - oversized or len(sizes) < oversized:
        seed(corpus_seed + round_)(collect)()
        seed(corpus_seed + round_)(collect_size)()
        round_ += 1
    corpus = list(frames)[: count - oversized] + [oversized_frame(size) for size in sizes[:oversized]]
    random.Random(corpus_seed).shuffle(corpus)
    return corpus
