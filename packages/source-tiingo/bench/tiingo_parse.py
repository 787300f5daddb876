"""Decode throughput without a network: frames/s through FrameDecoder, and date parsing variants.

    python bench/tiingo_parse.py [--seconds 2]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta

import orjson
from coinstream.core import SourceStats
from coinstream.tiingo.pairs import PairResolver
from coinstream.tiingo.protocol import FrameDecoder
from coinstream.tiingo.simulator.market import Market
from coinstream.tiingo.timestamps import parse_iso_micros

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE = datetime(1970, 1, 1)
_MICRO = timedelta(microseconds=1)
_SECOND = timedelta(seconds=1)
_seconds: dict[str, int] = {}


def cached_prefix_parse(text: str) -> int:
    """The alternative we measured against: cache each second's prefix, slice the fraction."""
    if len(text) == 32 and text[19] == "." and text[26:] == "+00:00":
        seconds = _seconds.get(text[:19])
        if seconds is None:
            seconds = _seconds[text[:19]] = (datetime.fromisoformat(text[:19]) - _EPOCH_NAIVE) // _SECOND
        fraction = text[20:26]
        if fraction.isdigit() and fraction.isascii():
            return seconds * 1_000_000 + int(fraction)
    raise ValueError(text)


def _rate(seconds: float, run: object) -> str:
    """Run for ``seconds``; report per wall second and per CPU second of this process.

    On a shared machine the CPU-second figure is the steadier one: it is what one dedicated
    core would do.
    """
    done, started, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - started < seconds:
        done += run()  # type: ignore[operator]
    wall, used = time.perf_counter() - started, time.process_time() - cpu
    return f"{done / wall:>12,.0f} /s wall  {done / used:>12,.0f} /s per CPU-second"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    market = Market(seed=7, ticker_count=2_000)
    frames = [text.encode() for text in market.view(None, 1).trade_texts(20_000, time.time_ns() // 1000)]
    dates = [orjson.loads(f)["data"][2] for f in frames]

    def cached() -> int:
        for text in dates:
            cached_prefix_parse(text)
        return len(dates)

    def stdlib() -> int:
        for text in dates:
            parse_iso_micros(text)
        return len(dates)

    assert all(cached_prefix_parse(text) == parse_iso_micros(text) for text in dates)
    print(f"dates  cached-prefix parse   {_rate(args.seconds / 2, cached)}")
    print(f"dates  fromisoformat (used)  {_rate(args.seconds / 2, stdlib)}")

    pairs = PairResolver()
    decoder = FrameDecoder("tiingo", pairs, SourceStats())

    def decode() -> int:
        out: list[object] = []
        for sequence, raw in enumerate(frames):
            decoder.decode(raw, "bench-session", sequence, 1, out)
        return len(frames)

    print(f"frames decoded to Trade       {_rate(args.seconds, decode)}")


if __name__ == "__main__":
    main()
