"""A small lake written with deltalake (no JVM): known trades and bars, so every figure is known."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import write_deltalake

from coinstream.dashboard.lake import LakeLocation

START = datetime(2026, 9, 6, 3, 55, tzinfo=UTC)
# (ticker, exchange, price, size, seconds after START); 12 exchanges so the top 10 cuts two.
KNOWN_TRADES = [
    ("btcusdt", "binance", 100.0, 1.0, 0), ("btcusdt", "binance", 110.0, 3.0, 10), ("btcusdt", "binance", 90.0, 1.0, 70),
    ("btcusdt", "huobi", 105.0, 2.0, 5), ("ethusdt", "huobi", 10.0, 5.0, 1), ("ethusdt", "huobi", 12.0, 5.0, 2),
    ("ethusdt", "huobi", 11.0, 10.0, 3), ("solusdc", "mexc", 1e-9, 1e9, 4), ("btcidr", "indodax", 1.5e9, 0.01, 6),
]
EXTRA_EXCHANGES = ["kucoin", "poloniex", "okex", "bybit", "gdax", "bibox", "kraken", "meteora", "curvefi3"]


def trades_table() -> pa.Table:
    rows = list(KNOWN_TRADES)
    # exchanges with fewer trades: kucoin 8, poloniex 7, ... curvefi3 0 (so 12 exchanges, ranked)
    for rank, exchange in enumerate(EXTRA_EXCHANGES):
        rows += [("wldusdt", exchange, 2.0, 1.0, 20 + i) for i in range(max(0, 8 - rank))]
    return pa.table({
        "trade_id": [f"id-{i}" for i in range(len(rows))],
        "ticker": [r[0] for r in rows], "exchange": [r[1] for r in rows],
        "price": [r[2] for r in rows], "size": [r[3] for r in rows],
        "trade_time": pa.array([START + timedelta(seconds=r[4]) for r in rows], pa.timestamp("us", tz="UTC")),
        "ingest_time": pa.array([START + timedelta(seconds=r[4], milliseconds=250) for r in rows],
                                pa.timestamp("us", tz="UTC")),
    })


def ohlcv_table() -> pa.Table:
    return pa.table({
        "window_start": pa.array([START, START + timedelta(minutes=1)], pa.timestamp("us", tz="UTC")),
        "window_end": pa.array([START + timedelta(minutes=1), START + timedelta(minutes=2)], pa.timestamp("us", tz="UTC")),
        "ticker": ["btcusdt", "btcusdt"], "exchange": ["binance", "binance"],
        "open": [100.0, 90.0], "high": [110.0, 90.0], "low": [100.0, 90.0], "close": [110.0, 90.0],
        "volume": [4.0, 1.0], "vwap": [107.5, 90.0], "trade_count": [2, 1],
    })


@pytest.fixture
def lake(tmp_path: Path) -> LakeLocation:
    root = tmp_path / "lake"
    write_deltalake(str(root / "trades"), trades_table())
    write_deltalake(str(root / "ohlcv_1m"), ohlcv_table())
    return LakeLocation(root=str(root))
