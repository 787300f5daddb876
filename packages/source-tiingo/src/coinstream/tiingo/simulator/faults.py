"""Faults the simulator can inject, and the malformed frames it sends (one of each kind).

A plan is a comma-separated spec, as ``coinstream simulate --faults`` takes it::

    drop_after=500,malformed_every=100,malformed_kinds=bad_date+short_trade,fault_connections=1
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import orjson

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
    extra_items_every: int | None = None   # every Nth frame has extra trailing items (valid!)
    burst_every_s: float | None = None     # a burst of burst_size frames at once
    burst_size: int = 1_000
    reject_first: int = 0                  # the first N subscriptions get E reject_code, then close
    reject_code: int = 429
    rest_fail_first: int = 0               # the first N REST requests answer rest_fail_code
    rest_fail_code: int = 503
    fault_connections: int | None = None   # drop/close/silence only the first N connections

    def __post_init__(self) -> None:
        unknown = [kind for kind in self.malformed_kinds if kind not in MALFORMED]
        if unknown:
            raise ValueError(f"malformed_kinds: unknown {unknown}; known: {', '.join(MALFORMED)}")

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
            if name == "malformed_kinds":
                values[name] = tuple(filter(None, text.split("+")))
                continue
            try:
                values[name] = float(text) if "float" in str(fields[name].type) else int(text)
            except ValueError:
                raise ValueError(f"--faults: {name}={text!r} is not a number") from None
        return cls(**values)

    def applies_to(self, connection_number: int) -> bool:
        """Whether connection-level faults (drop, close, silence) hit this connection (1-based)."""
        return self.fault_connections is None or connection_number <= self.fault_connections


NO_FAULTS = FaultPlan()
