"""Faults the simulator can inject, and the bad frames it sends (one of each kind).

A plan is a comma-separated spec, as ``coinstream simulate --faults`` takes it::

    drop_after=500,malformed_every=100,malformed_kinds=bad_date+short_trade,fault_connections=1

Data-frame faults, each at every Nth data frame of a connection (1-based positions):

- ``malformed``: a frame the source cannot use: it becomes a DeadLetter;
- ``oversized``: a trade frame of ``oversized_bytes``: a DeadLetter when over the source's
  ``max_frame_bytes``, a reconnect when over its transport cap;
- ``invalid``: a well-formed trade the source turns into a Trade, which the ``validate``
  transform sends to quarantine (stale, from the future, a bad exchange or ticker);
- ``extra_items``: a valid trade with extra trailing items, which must be accepted;
- ``late``: a valid trade dated ``late_s`` seconds before it is sent (12 minutes by default: later than
  the deduplicate transform's 10-minute watermark);
- ``injected``: the next of the frames given to the simulator (``SimulatorConfig.inject``,
  ``coinstream simulate --inject FILE``), each sent once; once all are sent, the position keeps its trade.

One fault per position, in that order of precedence: where two fall on the same position the
later one is skipped there (not moved), so each kind's count stays a simple function of the plan.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import orjson
from coinstream.tiingo.timestamps import format_iso_micros

_DATE = "2026-09-06T03:55:54.366000+00:00"
_TRADE = ["T", "btcusd", _DATE, "bitfinex", 0.0002, 80132.0]


def _a(data: Any) -> bytes:
    return orjson.dumps({"messageType": "A", "service": "crypto_data", "data": data})


@dataclass(frozen=True, slots=True)
class Malformed:
    """A malformed frame, the field its dead-letter reason must name, and the offending value as shown."""

    kind: str
    payload: bytes
    field: str
    shown: str


MALFORMED: dict[str, Malformed] = {m.kind: m for m in (
    Malformed("not_json", b'{"messageType":"A","service":"crypto_data","data":["T","btcusd",', "frame", "JSON"),
    Malformed("not_object", b'["T","btcusd"]', "frame", "list"),
    Malformed("unknown_message_type", b'{"messageType":"X","data":[]}', "messageType", "'X'"),
    Malformed("missing_data", b'{"messageType":"A","service":"crypto_data"}', "data", "None"),
    Malformed("unknown_update", _a(["Z", "btcusd", _DATE, "gdax", 1.0, 2.0]), "data[0]", "'Z'"),
    Malformed("short_trade", _a(["T", "btcusd", _DATE, "gdax", 0.5]), "data", "got 5"),
    Malformed("short_quote", _a(["Q", "btcusd", _DATE, "gdax", 1.0, 2.0, 2.5]), "data", "got 7"),
    Malformed("ticker_not_string", _a(["T", 42, _DATE, "gdax", 0.5, 10.0]), "ticker", "42"),
    Malformed("bad_date", _a(["T", "btcusd", "yesterday", "gdax", 0.5, 10.0]), "date", "'yesterday'"),
    Malformed("naive_date", _a(["T", "btcusd", "2026-09-06T03:55:54.366000", "gdax", 0.5, 10.0]), "date",
              "'2026-09-06T03:55:54.366000'"),
    Malformed("empty_exchange", _a(["T", "btcusd", _DATE, "", 0.5, 10.0]), "exchange", "''"),
    Malformed("negative_price", _a(["T", "btcusd", _DATE, "gdax", 0.5, -3.0]), "price", "-3.0"),
    Malformed("zero_size", _a(["T", "btcusd", _DATE, "gdax", 0, 10.0]), "size", "0"),
    Malformed("string_price", _a(["T", "btcusd", _DATE, "gdax", 0.5, "80132.0"]), "price", "'80132.0'"),
    Malformed("bool_size", _a(["T", "btcusd", _DATE, "gdax", True, 10.0]), "size", "True"),
    Malformed("negative_quote_ask", _a(["Q", "btcusd", _DATE, "gdax", 1.0, 2.0, 2.5, 1.0, -1.0]), "askPrice",
              "-1.0"),
)}
EXTRA_ITEMS_PAYLOAD = _a([*_TRADE, "trailing", 1])
_MINUTE_US = 60_000_000
_DAY_US = 86_400_000_000


@dataclass(frozen=True, slots=True)
class Invalid:
    """A trade the source accepts (it becomes a Trade) but ``validate`` quarantines.

    ``field`` is the Trade field that fails, ``check`` the validate setting it fails with the
    transform's defaults. Built from the time it is sent, so it stays invalid whenever that is.
    """

    kind: str
    field: str
    check: str
    ticker: str = "btcusdt"
    exchange: str = "binance"
    offset_us: int = 0  # trade_time minus the time the frame is built

    def payload(self, now_us: int) -> str:
        """The trade frame as sent at ``now_us`` (UTC micros)."""
        return _a(["T", self.ticker, format_iso_micros(now_us + self.offset_us), self.exchange, 0.01,
                   60_000.0]).decode()


INVALID: dict[str, Invalid] = {i.kind: i for i in (
    Invalid("stale", "trade_time", "max_trade_age", offset_us=-2 * _DAY_US),        # limit: 1 day
    Invalid("future", "trade_time", "max_clock_skew", offset_us=30 * _MINUTE_US),   # limit: 5 minutes
    Invalid("bad_exchange", "exchange", "exchange_pattern", exchange="Bad Exchange!"),
    Invalid("bad_ticker", "ticker", "ticker_pattern", ticker="BTC-USD"),
)}


def _trade_at(now_us: int) -> list[Any]:
    return ["T", "btcusd", format_iso_micros(now_us), "bitfinex", 0.0002, 80132.0]


def extra_items_text(now_us: int) -> str:
    """A valid trade with extra trailing items, dated ``now_us`` so that downstream checks pass it too."""
    return _a([*_trade_at(now_us), "trailing", 1]).decode()


def oversized_text(size: int, now_us: int) -> str:
    """A trade frame of ``size`` bytes (at least ~110): a valid trade padded by one long trailing item."""
    head = _a([*_trade_at(now_us), ""]).decode()
    return head[:-3] + "x" * max(0, size - len(head)) + head[-3:]


@dataclass(frozen=True)
class FaultPlan:
    """What goes wrong, and when. Counts are data frames of one connection."""

    drop_after: int | None = None          # abort the TCP connection after N frames
    drop_every_s: float | None = None      # ... or after this many seconds
    close_after: int | None = None         # close politely (code 1012, restarting) after N frames
    silence_after: int | None = None       # then send nothing at all, not even heartbeats
    silence_s: float = float("inf")        # for this long
    malformed_every: int | None = None     # every Nth frame is malformed (kinds in turn)
    malformed_kinds: tuple[str, ...] = tuple(MALFORMED)
    oversized_every: int | None = None     # every Nth frame is a trade of oversized_bytes
    oversized_bytes: int = 3 * 1024 * 1024
    invalid_every: int | None = None       # every Nth frame is a trade validate quarantines (kinds in turn)
    invalid_kinds: tuple[str, ...] = tuple(INVALID)
    extra_items_every: int | None = None   # every Nth frame has extra trailing items (valid!)
    late_every: int | None = None          # every Nth frame is a valid trade dated late_s before it is sent
    late_s: float = 720.0
    inject_every: int | None = None        # every Nth frame is the next injected frame (until all are sent)
    burst_every_s: float | None = None     # a burst of burst_size frames at once
    burst_size: int = 1_000
    reject_first: int = 0                  # the first N subscriptions get E reject_code, then close
    reject_code: int = 429
    rest_fail_first: int = 0               # the first N REST requests answer rest_fail_code
    rest_fail_code: int = 503
    fault_connections: int | None = None   # drop/close/silence only the first N connections

    def __post_init__(self) -> None:
        for name, kinds, known in (("malformed_kinds", self.malformed_kinds, MALFORMED),
                                   ("invalid_kinds", self.invalid_kinds, INVALID)):
            unknown = [kind for kind in kinds if kind not in known]
            if unknown or not kinds:
                problem = f"unknown {unknown}" if unknown else "empty"
                raise ValueError(f"{name}: {problem}; known (join with '+'): {', '.join(known)}")
        earlier: list[str] = []  # the data faults that take precedence over this one
        for name in ("malformed_every", "oversized_every", "invalid_every", "extra_items_every", "late_every",
                     "inject_every"):
            every = getattr(self, name)
            if every is None:
                continue
            if every < 1:
                raise ValueError(f"{name}={every}: give a whole number of frames, 1 or more")
            for first in earlier:
                if every % getattr(self, first) == 0:
                    raise ValueError(f"{name}={every} is a multiple of {first}={getattr(self, first)}: every such "
                                     f"position goes to {first.removesuffix('_every')}, so none would be sent; "
                                     "pick numbers that are not multiples, such as 1000 and 997")
            earlier.append(name)
        if self.oversized_bytes < 1_024:
            raise ValueError(f"oversized_bytes={self.oversized_bytes}: give 1024 or more")

    @classmethod
    def parse(cls, spec: str) -> FaultPlan:
        """Parse ``name=value,...``; an unknown name or bad value raises with the choices."""
        fields = {f.name: f for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for part in filter(None, (p.strip() for p in spec.split(","))):
            name, _, text = part.partition("=")
            name = name.strip()
            if name not in fields:
                raise ValueError(f"--faults: unknown fault {name!r}; known: {', '.join(fields)}")
            if name in ("malformed_kinds", "invalid_kinds"):
                values[name] = tuple(filter(None, text.split("+")))
                continue
            try:
                values[name] = float(text) if "float" in str(fields[name].type) else int(text)
            except ValueError:
                raise ValueError(f"--faults: {name}={text!r} is not a number") from None
        return cls(**values)

    @property
    def has_data_faults(self) -> bool:
        """Whether any data frame is replaced (malformed, oversized, invalid, extra items, late or injected)."""
        return bool(self.malformed_every or self.oversized_every or self.invalid_every or self.extra_items_every
                    or self.late_every or self.inject_every)

    def data_faults(self, first: int, count: int) -> dict[int, tuple[str, str]]:
        """The faults among data frames ``first`` .. ``first + count - 1``: {position: (fault, kind)}.

        One per position, by precedence (malformed, oversized, invalid, extra_items, late, injected); a
        fault whose position is taken is skipped there. Kinds go in turn by the fault's own count of positions.
        """
        faults: dict[int, tuple[str, str]] = {}
        for fault, every, kinds in (("malformed", self.malformed_every, self.malformed_kinds),
                                    ("oversized", self.oversized_every, ("oversized",)),
                                    ("invalid", self.invalid_every, self.invalid_kinds),
                                    ("extra_items", self.extra_items_every, ("extra_items",)),
                                    ("late", self.late_every, ("late",)),
                                    ("injected", self.inject_every, ("injected",))):
            if not every:
                continue
            for position in range(-(-first // every) * every, first + count, every):
                faults.setdefault(position, (fault, kinds[(position // every - 1) % len(kinds)]))
        return faults

    def payload(self, fault: str, kind: str, now_us: int) -> str:
        """The frame text of one data fault from :meth:`data_faults`, built at ``now_us`` (not for
        ``injected``: the simulator holds those frames)."""
        if fault == "malformed":
            return MALFORMED[kind].payload.decode()
        if fault == "invalid":
            return INVALID[kind].payload(now_us)
        if fault == "oversized":
            return oversized_text(self.oversized_bytes, now_us)
        if fault == "late":
            return _a(_trade_at(now_us - round(self.late_s * 1_000_000))).decode()
        return extra_items_text(now_us)

    def applies_to(self, connection_number: int) -> bool:
        """Whether connection-level faults (drop, close, silence) hit this connection (1-based)."""
        return self.fault_connections is None or connection_number <= self.fault_connections


NO_FAULTS = FaultPlan()
