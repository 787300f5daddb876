"""The FeedGap record: an interval in which the feed was not read, kept instead of passed over.

Nothing in a trade feed says what was missed while nobody listened, so every such interval (a
reconnect, a heartbeat timeout, the ingestor stopped or killed, a full spool) becomes a record of
its own on the feed gaps topic: a window a backfill can fill from REST bars, and a number a report
can show. ``gap_id`` is derived from where the gap starts and why, so a gap sent again (the spool
re-sends what Kafka had not acknowledged) is the same record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from hashlib import blake2b
from pathlib import Path
from typing import Any

from coinstream.core.records.trade import datetime_to_micros

FEED_GAP_SCHEMA_PATH = Path(__file__).with_name("schemas") / "feed_gap.avsc"
_ID_BYTES = 16


def derive_gap_id(source: str, session_id: str, gap_start: int, reason: str) -> str:
    """Return the 32-hex-character id of the gap that starts at ``gap_start`` (UTC micros) for ``reason``.

    A 128-bit BLAKE2b like trade ids, of a key that cannot collide with a trade id's (it has a
    different number of parts).
    """
    key = f"feed_gap\x1f{source}\x1f{session_id}\x1f{gap_start}\x1f{reason}".encode()
    return blake2b(key, digest_size=_ID_BYTES).hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedGap:
    """An interval in which the feed was not read. Times are UTC microseconds since the epoch.

    ``gap_start`` is the receive time of the last frame read before the hole, ``gap_end`` that of the
    first frame read after it; ``session_id`` is the feed session the gap follows ("" when unknown).
    ``missing_trades`` is what the feed reported missing, when it can tell (Tiingo cannot: None).
    ``recorded_time`` is when the ingestor recorded the gap. ``gap_id`` is derived from source,
    session_id, gap_start and reason when not given (see :func:`derive_gap_id`).
    """

    source: str
    session_id: str
    gap_start: int
    gap_end: int
    reason: str
    missing_trades: int | None = None
    recorded_time: int
    gap_id: str = ""

    def __post_init__(self) -> None:
        if self.gap_end < self.gap_start:
            raise ValueError(f"gap_end={self.gap_end} is before gap_start={self.gap_start}: a gap ends after it "
                             "starts (clamp the end to the start when the clock went back)")
        if self.missing_trades is not None and self.missing_trades < 0:
            raise ValueError(f"missing_trades={self.missing_trades} is negative; pass None when the feed cannot tell")
        if not self.gap_id:
            object.__setattr__(self, "gap_id", derive_gap_id(self.source, self.session_id, self.gap_start,
                                                             self.reason))

    @property
    def seconds(self) -> float:
        """Length of the gap in seconds."""
        return (self.gap_end - self.gap_start) / 1_000_000

    def to_avro_dict(self) -> dict[str, Any]:
        """Return the record as the dict the Avro writer expects (times stay integers)."""
        return {"gap_id": self.gap_id, "source": self.source, "session_id": self.session_id,
                "gap_start": self.gap_start, "gap_end": self.gap_end, "reason": self.reason,
                "missing_trades": self.missing_trades, "recorded_time": self.recorded_time}

    @classmethod
    def from_avro_dict(cls, record: dict[str, Any]) -> FeedGap:
        """Build a FeedGap from a decoded Avro record (fields newer than FeedGap are left out)."""
        values = {name: record[name] for name in _FIELDS}
        for name in ("gap_start", "gap_end", "recorded_time"):
            if isinstance(values[name], datetime):
                values[name] = datetime_to_micros(values[name])
        return cls(**values)


_FIELDS = ("source", "session_id", "gap_start", "gap_end", "reason", "missing_trades", "recorded_time", "gap_id")


@cache
def feed_gap_schema_str() -> str:
    """Return the FeedGap Avro schema as the JSON text stored in the package."""
    return FEED_GAP_SCHEMA_PATH.read_text(encoding="utf-8")


def load_feed_gap_schema() -> dict[str, Any]:
    """Return the FeedGap Avro schema parsed into a dict (a fresh copy each call)."""
    schema: dict[str, Any] = json.loads(feed_gap_schema_str())
    return schema
