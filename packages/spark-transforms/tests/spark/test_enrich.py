"""enrich: base and quote currency from the ticker when the source gave none, notional, ingest latency,
trade date."""

from __future__ import annotations

from datetime import date

import pytest

from .conftest import trade

pytestmark = [pytest.mark.spark, pytest.mark.timeout(300)]


def split(row: dict) -> tuple:
    return row["base_currency"], row["quote_currency"], row["pair_rule"]


def test_the_ticker_is_split_at_its_longest_known_quote_suffix(run_transforms):
    rows = run_transforms([{"name": "enrich"}], [
        trade("btcusdt", 0, ticker="btcusdt"),
        trade("ethfdusd", 0, ticker="ethfdusd"),            # fdusd, not usd
        trade("solusdc", 0, ticker="solusdc"),
        trade("btcidr", 0, ticker="btcidr"),
        trade("tngospwstetheth", 0, ticker="tngospwstetheth"),
        trade("usdt", 0, ticker="usdt"),                    # nothing left for a base: not split
        trade("abcxyz", 0, ticker="abcxyz"),                # no known quote
    ]).by_id("trades")

    assert {trade_id: split(row) for trade_id, row in rows.items()} == {
        "btcusdt": ("btc", "usdt", "quote_suffix"),
        "ethfdusd": ("eth", "fdusd", "quote_suffix"),
        "solusdc": ("sol", "usdc", "quote_suffix"),
        "btcidr": ("btc", "idr", "quote_suffix"),
        "tngospwstetheth": ("tngospwsteth", "eth", "quote_suffix"),
        "usdt": (None, None, None),
        "abcxyz": (None, None, None),
    }


def test_what_the_source_split_is_kept(run_transforms):
    rows = run_transforms([{"name": "enrich"}], [
        trade("both", 0, ticker="wbtcusdt", base_currency="wbtc", quote_currency="usdt", pair_rule="tiingo"),
        trade("base-only", 0, ticker="wbtcusdt", base_currency="wbtc", pair_rule="tiingo"),
    ]).by_id("trades")

    assert split(rows["both"]) == ("wbtc", "usdt", "tiingo")
    assert split(rows["base-only"]) == ("wbtc", None, "tiingo")


def test_notional_latency_and_trade_date(run_transforms):
    rows = run_transforms([{"name": "enrich"}], [
        trade("a", 0, price=105.0, size=2.0),
        trade("b", 13 * 3_600 + 59 * 60 + 59.5, price=0.5, size=3.0, ingest_delay_s=1.75),   # 23:59:59.5
    ]).by_id("trades")

    assert (rows["a"]["notional"], rows["a"]["ingest_latency_ms"], rows["a"]["trade_date"]) == (
        210.0, 250.0, date(2026, 1, 5))
    assert (rows["b"]["notional"], rows["b"]["ingest_latency_ms"], rows["b"]["trade_date"]) == (
        1.5, 1750.0, date(2026, 1, 5))


def test_the_quote_currencies_setting_replaces_the_defaults(run_transforms):
    rows = run_transforms([{"name": "enrich", "quote_currencies": ["usd"]}], [
        trade("usd", 0, ticker="btcusd"), trade("usdt", 0, ticker="btcusdt")]).by_id("trades")

    assert split(rows["usd"]) == ("btc", "usd", "quote_suffix")
    assert split(rows["usdt"]) == (None, None, None)


def test_an_enrich_writing_its_own_stream_leaves_trades_as_they_were(run_transforms):
    streams = run_transforms([{"name": "enrich", "output": "enriched"}], [trade("a", 0, price=2.0, size=3.0)])

    assert "notional" not in streams.rows("trades")[0]
    assert streams.rows("enriched")[0]["notional"] == 6.0
