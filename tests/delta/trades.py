"""Known trades for the Delta tests, at fixed UTC times (two hours ago, on the minute) so the expected
bars can be worked out by hand, with ingest_time 250 ms after trade_time unless told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from coinstream.core import Trade

T0 = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=2)
T0_MICROS = int(T0.timestamp()) * 1_000_000


def trade(trade_id: str, seconds: float, price: float = 100.0, size: float = 1.0, ticker: str = "btcusdt",
          exchange: str = "binance", ingest_delay_s: float = 0.25) -> Trade:
    """A trade ``seconds`` after T0 that reached the ingestor ``ingest_delay_s`` later."""
    trade_time = T0_MICROS + int(seconds * 1_000_000)
    return Trade(trade_id=trade_id, ticker=ticker, exchange=exchange, price=price, size=size, trade_time=trade_time,
                 ingest_time=trade_time + int(ingest_delay_s * 1_000_000), source="test")


def numbered(count: int, prefix: str = "d", spacing_s: float = 0.1) -> list[Trade]:
    """``count`` valid trades, alternating btcusdt/ethusdt on binance/kraken, prices 100 + index % 50."""
    return [trade(f"{prefix}{index:06d}", index * spacing_s, price=100.0 + index % 50, size=0.5 + index % 3,
                  ticker=("btcusdt", "ethusdt")[index % 2], exchange=("binance", "kraken")[(index // 2) % 2])
            for index in range(count)]
