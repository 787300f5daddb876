"""Known trades for the Kafka tests: a per-ticker sequence number hidden in the size."""

from __future__ import annotations

import time

from coinstream.core import Trade, derive_trade_id

TICKERS = ("btcusdt", "ethusdt", "solusdc", "btcidr", "wldusdt", "tngospwstetheth")


def numbered_trades(count: int, session: str = "test-session") -> list[Trade]:
    """Return ``count`` trades round-robin over TICKERS; ``size`` is the trade's index."""
    now = int(time.time() * 1_000_000)
    return [
        Trade(trade_id=derive_trade_id("test", session, index), ticker=TICKERS[index % len(TICKERS)],
              exchange="binance", price=100.0 + index % 97, size=float(index), trade_time=now - 1000 + index,
              ingest_time=now, source="test")
        for index in range(count)
    ]
