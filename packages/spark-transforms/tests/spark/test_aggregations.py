"""ohlcv and exchange_stats after the whole chain: exact bars and statistics, with a repeat, a bad row and a
late trade in the input that none of them may count (values worked out by hand below)."""

from __future__ import annotations

import pytest

from .conftest import at, trade

pytestmark = [pytest.mark.spark, pytest.mark.timeout(300)]

FULL = [{"name": "validate"}, {"name": "deduplicate", "watermark": "10 minutes"}, {"name": "enrich"},
        {"name": "ohlcv"}, {"name": "exchange_stats"}]

TRADES = [
    # btcusdt on binance, window [T0, T0+1m): 100 x 1, 105 x 2, 95 x 1, 102 x 3, 102 x 3
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
    # a trade 15 minutes late: in late_trades, in no aggregate
    trade("late", 45, price=1_000.0, size=9.0, ingest_delay_s=15 * 60),
]


def test_ohlcv_bars_count_each_landed_trade_once(run_transforms):
    streams = run_transforms(FULL, TRADES)

    assert streams.ids("trades") == ["b1", "b2", "b3", "b4", "b5", "b6", "e1", "e2", "k1"]
    bars = {(row["ticker"], row["exchange"], row["window_start"]): row for row in streams.rows("ohlcv_1m")}
    assert sorted(bars) == [("btcusdt", "binance", at(0)), ("btcusdt", "binance", at(60)),
                            ("btcusdt", "kraken", at(0)), ("ethusdt", "binance", at(0))]
    btc = bars[("btcusdt", "binance", at(0))]
    # open = first by time (b1 100), close = last by (time, id): b4 and b5 both at 50 s, b5 > b4 -> 102
    # volume = 1 + 2 + 1 + 3 + 3 = 10; vwap = (100 + 210 + 95 + 306 + 306) / 10 = 101.7
    assert (btc["open"], btc["high"], btc["low"], btc["close"]) == (100.0, 105.0, 95.0, 102.0)
    assert (btc["volume"], btc["trade_count"], btc["window_end"]) == (10.0, 5, at(60))
    assert btc["vwap"] == pytest.approx(101.7, rel=1e-12)
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
    assert streams.streams["ohlcv_1m"].keys == ("window_start", "ticker", "exchange")
    assert streams.streams["ohlcv_1m"].aggregated


def test_exchange_stats_per_exchange_and_minute(run_transforms):
    streams = run_transforms(FULL, TRADES)

    stats = {(row["exchange"], row["window_start"]): row for row in streams.rows("exchange_stats")}
    assert sorted(stats) == [("binance", at(0)), ("binance", at(60)), ("kraken", at(0))]
    # binance first minute: btc 100 + 210 + 95 + 306 + 306 = 1017, eth 100 + 60 = 160
    assert {key: (row["trade_count"], row["notional"], row["distinct_tickers"], row["window_end"])
            for key, row in stats.items()} == {
        ("binance", at(0)): (7, 1177.0, 2, at(60)),
        ("binance", at(60)): (1, 55.0, 1, at(120)),
        ("kraken", at(0)): (1, 50.5, 1, at(60)),
    }
    assert streams.streams["exchange_stats"].keys == ("window_start", "exchange")


def test_the_window_setting_sets_the_bar_length(run_transforms):
    streams = run_transforms([{"name": "deduplicate"}, {"name": "ohlcv", "window": "5 minutes"},
                              {"name": "exchange_stats", "window": "5 minutes"}], [
        trade("a", 10, price=3.0), trade("b", 200, price=5.0), trade("c", 301, price=7.0)])

    bars = [(row["window_start"], row["window_end"], row["open"], row["close"], row["trade_count"])
            for row in streams.rows("ohlcv_1m")]
    assert bars == [(at(0), at(300), 3.0, 5.0, 2), (at(300), at(600), 7.0, 7.0, 1)]
    assert [(row["window_start"], row["trade_count"]) for row in streams.rows("exchange_stats")] == [
        (at(0), 2), (at(300), 1)]
