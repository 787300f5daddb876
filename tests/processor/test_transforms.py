"""The whole chain on known trades: exact rows out of enrich, ohlcv and exchange_stats, with
duplicates and a bad row in the input (OHLCV values worked out by hand below)."""

from __future__ import annotations

import datetime as dt

import pytest

from coinstream.spark.sinks.memory import memory_rows

from .pipelines import FULL_TRANSFORMS
from .trades import T0, at, trade

pytestmark = [pytest.mark.spark, pytest.mark.stack]

TRADES = [
    # btcusdt on binance, window [T0, T0+1m): 100 x 1, 105 x 2, 95 x 1, 102 x 3
    trade("b1", 0, price=100.0, size=1.0),
    trade("b2", 10, price=105.0, size=2.0),
    trade("b3", 20, price=95.0, size=1.0),
    trade("b4", 50, price=102.0, size=3.0),
    trade("b2", 10, price=105.0, size=2.0),               # redelivered copy of b2: must not count twice
    trade("b5", 50, price=102.0, size=3.0),               # genuine identical trade, distinct id: counts
    # btcusdt on binance, window [T0+1m, T0+2m): one trade
    trade("b6", 65, price=110.0, size=0.5),
    # ethusdt on binance, window [T0, T0+1m)
    trade("e1", 5, price=10.0, size=10.0, ticker="ethusdt"),
    trade("e2", 6, price=12.0, size=5.0, ticker="ethusdt"),
    # btcusdt on kraken, window [T0, T0+1m)
    trade("k1", 30, price=101.0, size=0.5, exchange="kraken"),
    # a bad row: quarantined, in no aggregate
    trade("bad", 40, price=-1.0, size=1.0),
    # far later: moves the watermark past every window above so append mode emits them
    trade("closer", 30 * 60, price=1.0, size=1.0, ticker="solusdc", exchange="binance"),
]


def test_enrich_ohlcv_and_exchange_stats_give_exact_rows(run_pipeline, produce):
    produce(TRADES)

    report = run_pipeline(FULL_TRANSFORMS, sinks=[
        {"name": "memory", "input": "trades", "table": "x_trades"},
        {"name": "memory", "input": "ohlcv_1m", "table": "x_ohlcv"},
        {"name": "memory", "input": "exchange_stats", "table": "x_stats"},
        {"name": "memory", "input": "quarantine", "table": "x_quarantine"},
    ])
    assert report.reason == "completed"

    trades = memory_rows("x_trades")
    assert sorted(row["trade_id"] for row in trades) == ["b1", "b2", "b3", "b4", "b5", "b6", "closer", "e1", "e2",
                                                          "k1"]
    b2 = next(row for row in trades if row["trade_id"] == "b2")
    assert (b2["base_currency"], b2["quote_currency"], b2["pair_rule"]) == ("btc", "usdt", "quote_suffix")
    assert b2["notional"] == 210.0
    assert b2["ingest_latency_ms"] == 250.0
    assert b2["trade_date"] == T0.date()
    closer = next(row for row in trades if row["trade_id"] == "closer")
    assert (closer["base_currency"], closer["quote_currency"]) == ("sol", "usdc")

    assert [(row["trade_id"], row["reason"]) for row in memory_rows("x_quarantine")] == [
        ("bad", "price must be a positive finite number, got -1.0")]

    bars = {(row["ticker"], row["exchange"], row["window_start"]): row for row in memory_rows("x_ohlcv")}
    assert sorted(bars) == [("btcusdt", "binance", at(0)), ("btcusdt", "binance", at(60)),
                            ("btcusdt", "kraken", at(0)), ("ethusdt", "binance", at(0))]
    btc = bars[("btcusdt", "binance", at(0))]
    # open = first by time (b1 100), close = last by (time, id): b4 and b5 both at 50 s, b5 > b4 -> 102
    # volume = 1 + 2 + 1 + 3 + 3 = 10; vwap = (100 + 210 + 95 + 306 + 306) / 10 = 101.7
    assert (btc["open"], btc["high"], btc["low"], btc["close"]) == (100.0, 105.0, 95.0, 102.0)
    assert btc["volume"] == 10.0 and btc["trade_count"] == 5
    assert btc["vwap"] == pytest.approx(101.7, rel=1e-12)
    assert btc["window_end"] == at(60)
    later = bars[("btcusdt", "binance", at(60))]
    assert (later["open"], later["high"], later["low"], later["close"], later["volume"], later["vwap"],
            later["trade_count"]) == (110.0, 110.0, 110.0, 110.0, 0.5, 110.0, 1)
    eth = bars[("ethusdt", "binance", at(0))]
    # vwap = (10 x 10 + 12 x 5) / 15 = 160 / 15
    assert (eth["open"], eth["high"], eth["low"], eth["close"], eth["volume"], eth["trade_count"]) == (
        10.0, 12.0, 10.0, 12.0, 15.0, 2)
    assert eth["vwap"] == pytest.approx(160 / 15, rel=1e-12)
    kraken = bars[("btcusdt", "kraken", at(0))]
    assert (kraken["open"], kraken["close"], kraken["volume"], kraken["vwap"], kraken["trade_count"]) == (
        101.0, 101.0, 0.5, 101.0, 1)

    stats = {(row["exchange"], row["window_start"]): row for row in memory_rows("x_stats")}
    assert sorted(stats) == [("binance", at(0)), ("binance", at(60)), ("kraken", at(0))]
    # binance first minute: btc 100+210+95+306+306 = 1017, eth 100+60 = 160
    assert (stats[("binance", at(0))]["trade_count"], stats[("binance", at(0))]["notional"],
            stats[("binance", at(0))]["distinct_tickers"]) == (7, 1177.0, 2)
    assert (stats[("binance", at(60))]["trade_count"], stats[("binance", at(60))]["notional"],
            stats[("binance", at(60))]["distinct_tickers"]) == (1, 55.0, 1)
    assert (stats[("kraken", at(0))]["trade_count"], stats[("kraken", at(0))]["notional"],
            stats[("kraken", at(0))]["distinct_tickers"]) == (1, 50.5, 1)
    assert isinstance(stats[("kraken", at(0))]["window_end"], dt.datetime)
