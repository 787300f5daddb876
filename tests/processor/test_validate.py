"""validate: good rows pass unchanged; every bad row lands in quarantine with every reason it failed."""

from __future__ import annotations

import pytest

from coinstream.spark.sinks.memory import memory_rows

from .trades import at, shown, trade

pytestmark = [pytest.mark.spark, pytest.mark.stack]


def test_bad_rows_go_to_quarantine_with_their_reasons_and_good_rows_pass(run_pipeline, produce):
    produce([
        trade("good-1", 1, price=100.5, size=0.25),
        trade("good-2", 2, price=3000.0, size=2.0, ticker="ethusdt", exchange="coinbase"),
        trade("neg-price", 3, price=-3.0),
        trade("zero-size", 4, size=0.0),
        trade("nan-price", 5, price=float("nan")),
        trade("inf-size", 6, size=float("inf")),
        trade("bad-ticker", 7, ticker="BTC-USD"),
        trade("bad-exchange", 8, exchange="Bin ance"),
        trade("two-faults", 9, price=0.0, ticker="x"),
        trade("too-old", 0, ingest_seconds=2 * 86_400),          # happened 2 days before it was ingested
        trade("in-future", 3_600, ingest_seconds=0),              # claims to happen 1 h after ingest
        trade("slightly-late", 0, ingest_seconds=3_600),          # 1 h old: inside the 1-day limit
    ])

    report = run_pipeline(
        transforms=[{"name": "validate"}],
        sinks=[{"name": "memory", "input": "trades", "table": "v_trades"},
               {"name": "memory", "input": "quarantine", "table": "v_quarantine"}])

    assert report.reason == "completed"
    trades = {row["trade_id"]: row for row in memory_rows("v_trades")}
    assert sorted(trades) == ["good-1", "good-2", "slightly-late"]
    assert trades["good-1"]["price"] == 100.5 and trades["good-1"]["size"] == 0.25
    assert trades["good-1"]["trade_time"] == at(1)
    assert "reason" not in trades["good-1"]

    reasons = {row["trade_id"]: row["reason"] for row in memory_rows("v_quarantine")}
    assert reasons == {
        "neg-price": "price must be a positive finite number, got -3.0",
        "zero-size": "size must be a positive finite number, got 0.0",
        "nan-price": "price must be a positive finite number, got NaN",
        "inf-size": "size must be a positive finite number, got Infinity",
        "bad-ticker": "ticker 'BTC-USD' does not match ^[a-z0-9]{2,32}$",
        "bad-exchange": "exchange 'Bin ance' does not match ^[a-z0-9][a-z0-9_.-]{0,63}$",
        "two-faults": "price must be a positive finite number, got 0.0; ticker 'x' does not match ^[a-z0-9]{2,32}$",
        "too-old": f"trade_time {shown(0)} is 172,800 s before ingest_time (limit 1 day)",
        "in-future": f"trade_time {shown(3_600)} is 3,600 s after ingest_time (limit 5 minutes)",
    }
    quarantined = {row["trade_id"]: row for row in memory_rows("v_quarantine")}
    assert {row["quarantined_by"] for row in quarantined.values()} == {"validate"}
    assert quarantined["neg-price"]["ticker"] == "btcusdt"  # the whole row is kept for inspection
    assert quarantined["too-old"]["ingest_time"] == at(2 * 86_400)
