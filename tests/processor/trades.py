"""Known trades for the processor tests, at fixed UTC times so expected values can be worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from coinstream.core import Trade

# Kafka stamps each record with its ingest_time and the topics keep 7 days (brokers refuse stamps more
# than 1 h ahead): known times must be recent. Three days ago, on the hour, keeps every window aligned.
T0 = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=3)
T0_MICROS = int(T0.timestamp()) * 1_000_000
INGEST_DELAY_MICROS = 250_000  # every trade reaches the ingestor 250 ms after it happened


def trade(trade_id: str, seconds: float, price: float = 100.0, size: float = 1.0, ticker: str = "btcusdt",
          exchange: str = "binance", ingest_seconds: float | None = None, **fields: str | None) -> Trade:
    """A trade ``seconds`` after T0 (on the hour, three days ago)."""
    trade_time = T0_MICROS + int(seconds * 1_000_000)
    ingest_time = (T0_MICROS + int(ingest_seconds * 1_000_000)) if ingest_seconds is not None \
        else trade_time + INGEST_DELAY_MICROS
    return Trade(trade_id=trade_id, ticker=ticker, exchange=exchange, price=price, size=size, trade_time=trade_time,
                 ingest_time=ingest_time, source="test", **fields)


def at(seconds: float) -> datetime:
    """The naive UTC datetime Spark returns for T0 + seconds (the session time zone is UTC)."""
    return datetime.fromtimestamp(T0.timestamp() + seconds, UTC).replace(tzinfo=None)


def shown(seconds: float) -> str:
    """T0 + seconds as Spark casts a timestamp to a string."""
    return at(seconds).strftime("%Y-%m-%d %H:%M:%S")
