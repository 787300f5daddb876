"""Base/quote splitting: metadata first, then the longest known quote suffix."""

from __future__ import annotations

import pytest
from coinstream.tiingo.pairs import PairResolver


@pytest.mark.parametrize(("ticker", "expected"), [
    ("btcusdt", ("btc", "usdt", "quote_suffix")),
    ("usdtusd", ("usdt", "usd", "quote_suffix")),
    ("1inchusdt", ("1inch", "usdt", "quote_suffix")),
    ("ethbtc", ("eth", "btc", "quote_suffix")),
    ("btcidr", ("btc", "idr", "quote_suffix")),
    ("tngospwstetheth", ("tngospwsteth", "eth", "quote_suffix")),
    ("btcfdusd", ("btc", "fdusd", "quote_suffix")),
    ("usd", (None, None, None)),
    ("zzzqqq", (None, None, None)),
])
def test_quote_suffix_rule(ticker: str, expected: tuple[str | None, str | None, str | None]) -> None:
    assert PairResolver().split(ticker) == expected


def test_metadata_wins_over_the_suffix_rule_and_is_lower_cased() -> None:
    resolver = PairResolver()
    assert resolver.split("stethusdc") == ("steth", "usdc", "quote_suffix")
    resolver.load_metadata({"stethusdc": ("stETH", "USDC"), "wbtcbtc": ("WBTC", "BTC")})
    assert resolver.split("stethusdc") == ("steth", "usdc", "metadata")
    assert resolver.split("wbtcbtc") == ("wbtc", "btc", "metadata")
    assert resolver.metadata_size == 2


def test_incomplete_metadata_rows_are_ignored() -> None:
    resolver = PairResolver()
    resolver.load_metadata({"ethusdt": ("", "usdt")})
    assert resolver.split("ethusdt") == ("eth", "usdt", "quote_suffix")
