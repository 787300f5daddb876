"""ISO 8601 <-> UTC microseconds. Parsing runs once per trade, on the hot path.

Measured (bench/tiingo_parse.py): CPython 3.11's C ``datetime.fromisoformat`` plus one
timedelta division beats a hand-written parser that caches each second's prefix and slices
the fraction (about 1.05 M vs 0.73 M dates/s), so parsing stays on the standard library.
Formatting, used by the simulator for every trade it generates, does cache each second.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MICRO = timedelta(microseconds=1)
_CACHE_LIMIT = 65_536
_fromisoformat = datetime.fromisoformat
_prefix_cache: dict[int, str] = {}


def parse_iso_micros(text: str) -> int:
    """Return an ISO 8601 date with a UTC offset as microseconds since the epoch.

    Raises ValueError for anything that is not a date with an explicit offset.
    """
    moment = _fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("no UTC offset")
    return (moment - _EPOCH) // _ONE_MICRO


def format_iso_micros(micros: int) -> str:
    """Return UTC microseconds as the feed writes them: ``YYYY-MM-DDTHH:MM:SS.ffffff+00:00``."""
    seconds, fraction = divmod(micros, 1_000_000)
    prefix = _prefix_cache.get(seconds)
    if prefix is None:
        if len(_prefix_cache) >= _CACHE_LIMIT:
            _prefix_cache.clear()
        prefix = (_EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.")
        _prefix_cache[seconds] = prefix
    return f"{prefix}{fraction:06d}+00:00"
