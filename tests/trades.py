"""Known trades for the tests across packages (Kafka, processor, Delta), one factory for every folder.

Times are fixed relative to T0, on the hour three days ago, so expected values (bars, reasons, dates) can
be worked out by hand: recent enough for the topics' 7-day retention and the brokers' refusal of stamps
more than 1 h ahead, and every one-minute window aligned. A trade reaches the ingestor 250 ms after it
happened unless told otherwise.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from coinstream.core import Trade, derive_trade_id

T0 = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=3)
T0_MICROS = int(T0.timestamp()) * 1_000_000
INGEST_DELAY_S = 0.25
TICKERS = ("btcusdt", "ethusdt", "solusdc", "btcidr", "wldusdt", "tngospwstetheth")


def trade(trade_id: str, seconds: float, price: float = 100.0, size: float = 1.0, ticker: str = "btcusdt",
          exchange: str = "binance", ingest_delay_s: float = INGEST_DELAY_S) -> Trade:
    """A trade ``seconds`` after T0 that reached the ingestor ``ingest_delay_s`` later (negative: earlier)."""
    trade_time = T0_MICROS + int(seconds * 1_000_000)
    return Trade(trade_id=trade_id, ticker=ticker, exchange=exchange, price=price, size=size, trade_time=trade_time,
                 ingest_time=trade_time + int(ingest_delay_s * 1_000_000), source="test")


def valid_trades(count: int, prefix: str = "d", spacing_s: float = 0.1) -> list[Trade]:
    """``count`` valid trades ``spacing_s`` apart, alternating btcusdt/ethusdt on binance/kraken, prices
    100 + index % 50, ids ``<prefix><index:06d>``."""
    return [trade(f"{prefix}{index:06d}", index * spacing_s, price=100.0 + index % 50, size=0.5 + index % 3,
                  ticker=("btcusdt", "ethusdt")[index % 2], exchange=("binance", "kraken")[(index // 2) % 2])
            for index in range(count)]


def sequenced_trades(count: int, session: str = "test-session") -> list[Trade]:
    """``count`` trades stamped now, round-robin over TICKERS, ids derived as the ingestor derives them;
    ``size`` is the trade's index, so a reader can check order per key."""
    now = int(time.time() * 1_000_000)
    return [
        Trade(trade_id=derive_trade_id("test", session, index), ticker=TICKERS[index % len(TICKERS)],
              exchange="binance", price=100.0 + index % 97, size=float(index), trade_time=now - 1000 + index,
              ingest_time=now, source="test")
        for index in range(count)
    ]


def at(seconds: float) -> datetime:
    """The naive UTC datetime Spark returns for T0 + seconds (the session time zone is UTC)."""
    return datetime.fromtimestamp(T0.timestamp() + seconds, UTC).replace(tzinfo=None)


def shown(seconds: float) -> str:
    """T0 + seconds as Spark casts a timestamp to a string."""
    return at(seconds).strftime("%Y-%m-%d %H:%M:%S")


def iso(seconds: float) -> str:
    """T0 + seconds as the late_trades reasons write it."""
    return at(seconds).strftime("%Y-%m-%dT%H:%M:%SZ")
