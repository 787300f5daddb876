"""validate: good rows pass unchanged; every bad row lands in quarantine with every check it failed,
each naming the field and the value."""

from __future__ import annotations

import pytest

from .conftest import TRADE_COLUMNS, at, trade

pytestmark = [pytest.mark.spark, pytest.mark.timeout(300)]

VALIDATE = [{"name": "validate"}]


def shown(seconds: float) -> str:
    """T0 + seconds as Spark casts a timestamp to a string."""
    return at(seconds).strftime("%Y-%m-%d %H:%M:%S")


def test_bad_rows_go_to_quarantine_with_their_reasons_and_good_rows_pass_unchanged(run_transforms):
    streams = run_transforms(VALIDATE, [
        trade("good-1", 1, price=100.5, size=0.25),
        trade("good-2", 2, price=3000.0, size=2.0, ticker="ethusdt", exchange="coinbase"),
        trade("neg-price", 3, price=-3.0),
        trade("zero-size", 4, size=0.0),
        trade("nan-price", 5, price=float("nan")),
        trade("inf-size", 6, size=float("inf")),
        trade("minus-inf", 6, price=float("-inf")),
        trade("bad-ticker", 7, ticker="BTC-USD"),
        trade("bad-exchange", 8, exchange="Bin ance"),
        trade("two-faults", 9, price=0.0, ticker="x"),
        trade("too-old", 0, ingest_delay_s=2 * 86_400),        # happened 2 days before it was ingested
        trade("in-future", 3_600, ingest_delay_s=-3_600),      # claims to happen 1 h after ingest
        trade("slightly-late", 0, ingest_delay_s=3_600),       # 1 h old: inside the 1-day limit
    ])

    trades = streams.by_id("trades")
    assert sorted(trades) == ["good-1", "good-2", "slightly-late"]
    assert trades["good-1"] == {"trade_id": "good-1", "ticker": "btcusdt", "base_currency": None,
                                "quote_currency": None, "exchange": "binance", "price": 100.5, "size": 0.25,
                                "trade_time": at(1), "ingest_time": at(1.25), "source": "test", "pair_rule": None}

    assert {trade_id: row["reason"] for trade_id, row in streams.by_id("quarantine").items()} == {
        "neg-price": "price must be a positive finite number, got -3.0",
        "zero-size": "size must be a positive finite number, got 0.0",
        "nan-price": "price must be a positive finite number, got NaN",
        "inf-size": "size must be a positive finite number, got Infinity",
        "minus-inf": "price must be a positive finite number, got -Infinity",
        "bad-ticker": "ticker 'BTC-USD' does not match ^[a-z0-9]{2,32}$",
        "bad-exchange": "exchange 'Bin ance' does not match ^[a-z0-9][a-z0-9_.-]{0,63}$",
        "two-faults": "price must be a positive finite number, got 0.0; ticker 'x' does not match ^[a-z0-9]{2,32}$",
        "too-old": f"trade_time {shown(0)} is 172,800 s before ingest_time (limit 1 day)",
        "in-future": f"trade_time {shown(3_600)} is 3,600 s after ingest_time (limit 5 minutes)",
    }


def test_a_quarantined_row_keeps_every_column_and_says_which_transform_refused_it(run_transforms):
    quarantined = run_transforms(VALIDATE, [trade("neg-price", 3, price=-3.0, ticker="ethusdt")]).rows("quarantine")

    assert quarantined == [{"trade_id": "neg-price", "ticker": "ethusdt", "base_currency": None,
                            "quote_currency": None, "exchange": "binance", "price": -3.0, "size": 1.0,
                            "trade_time": at(3), "ingest_time": at(3.25), "source": "test", "pair_rule": None,
                            "reason": "price must be a positive finite number, got -3.0",
                            "quarantined_by": "validate"}]
    assert list(quarantined[0])[:len(TRADE_COLUMNS)] == list(TRADE_COLUMNS)


def test_missing_fields_are_named_as_null(run_transforms):
    streams = run_transforms(VALIDATE, [
        trade("", 1),
        trade(None, 2),
        trade("no-price", 3, price=None),
        trade("no-ticker", 4, ticker=None),
        trade("no-exchange", 5, exchange=None),
        trade("no-time", None),
    ])

    assert streams.rows("trades") == []
    reasons = {row["trade_id"]: row["reason"] for row in streams.rows("quarantine")}
    assert reasons == {
        "": "trade_id is empty",
        None: "trade_id is empty",
        "no-price": "price must be a positive finite number, got null",
        "no-ticker": "ticker null does not match ^[a-z0-9]{2,32}$",
        "no-exchange": "exchange null does not match ^[a-z0-9][a-z0-9_.-]{0,63}$",
        "no-time": "trade_time or ingest_time is missing",
    }


def test_the_time_limits_are_inclusive_and_follow_the_settings(run_transforms):
    default = run_transforms(VALIDATE, [
        trade("one-day-old", 0, ingest_delay_s=86_400),          # exactly max_trade_age: kept
        trade("five-min-ahead", 300, ingest_delay_s=-300),       # exactly max_clock_skew: kept
        trade("a-second-more", 301, ingest_delay_s=-301),
    ])
    assert default.ids("trades") == ["five-min-ahead", "one-day-old"]
    assert [row["reason"] for row in default.rows("quarantine")] == [
        f"trade_time {shown(301)} is 301 s after ingest_time (limit 5 minutes)"]

    strict = run_transforms([{"name": "validate", "max_trade_age": "1 hour", "ticker_pattern": "^[a-z]{3,}usd$"}], [
        trade("old", 0, ingest_delay_s=3_601, ticker="btcusd"),
        trade("usdt", 1, ticker="btcusdt"),
        trade("fine", 2, ticker="ethusd"),
    ])
    assert strict.ids("trades") == ["fine"]
    assert {row["trade_id"]: row["reason"] for row in strict.rows("quarantine")} == {
        "old": f"trade_time {shown(0)} is 3,601 s before ingest_time (limit 1 hour)",
        "usdt": "ticker 'btcusdt' does not match ^[a-z]{3,}usd$",
    }
