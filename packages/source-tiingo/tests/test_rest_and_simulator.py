"""The REST client against the simulator, the simulator's market, faults and replay mode, and the CLI."""

from __future__ import annotations

import itertools
import math
import time
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from coinstream.core import Trade
from coinstream.tiingo import TiingoAuthError, TiingoRequestError
from coinstream.tiingo.cli import simulate
from coinstream.tiingo.rest import TiingoRest
from coinstream.tiingo.simulator import EXCHANGE_WEIGHTS, FaultPlan, Market


async def test_metadata_prices_and_top(simulator_factory) -> None:
    sim = await simulator_factory(api_key="rest-key-1234")
    async with TiingoRest(sim.rest_url, "rest-key-1234") as rest:
        meta = await rest.metadata(["btcusdt", "ethbtc"])
        assert [(m.ticker, m.base_currency, m.quote_currency) for m in meta] == [
            ("btcusdt", "btc", "usdt"),
            ("ethbtc", "eth", "btc"),
        ]
        bars = await rest.prices(["btcusdt"], "2026-09-06T00:00:00+00:00", "2026-09-06T01:00:00+00:00", "5min")
        assert bars[0]["ticker"] == "btcusdt" and len(bars[0]["priceData"]) == 12
        first = bars[0]["priceData"][0]
        assert first["date"] == "2026-09-06T00:00:00+00:00" and first["low"] <= first["close"] <= first["high"]
        top = await rest.top(["btcusdt"])
        assert top[0]["topOfBookData"][0]["bidPrice"] < top[0]["topOfBookData"][0]["askPrice"]
    assert all("rest-key-1234" not in target for target in sim.stats.request_targets)


async def test_rest_errors_are_clear_and_never_echo_the_key(simulator_factory) -> None:
    sim = await simulator_factory(api_key="rest-key-1234")
    async with TiingoRest(sim.rest_url, "bad-key-5678") as rest:
        with pytest.raises(TiingoAuthError, match="HTTP 401 \\(Invalid token.\\)") as raised:
            await rest.metadata()
        assert "bad-key-5678" not in str(raised.value)
    async with TiingoRest(sim.rest_url, "rest-key-1234") as rest:
        with pytest.raises(TiingoRequestError, match="answered 404") as missing:
            await rest.get_json("/tiingo/nothing", {})
        assert missing.value.status == 404


async def test_rest_retries_on_503_then_succeeds(simulator_factory) -> None:
    sim = await simulator_factory(faults=FaultPlan(rest_fail_first=2, rest_fail_code=503))
    async with TiingoRest(sim.rest_url, "", backoff_initial_s=0.01) as rest:
        meta = await rest.metadata(["btcusdt"])
    assert [m.ticker for m in meta] == ["btcusdt"] and sim.rest.requests == 3
    sim2 = await simulator_factory(faults=FaultPlan(rest_fail_first=9, rest_fail_code=429))
    async with TiingoRest(sim2.rest_url, "", backoff_initial_s=0.01, max_attempts=3) as rest:
        with pytest.raises(TiingoRequestError, match="failed 3 times \\(last: 429\\)"):
            await rest.metadata()


async def test_metadata_outage_falls_back_to_the_suffix_rule(simulator_factory, collect, make_source) -> None:
    sim = await simulator_factory(faults=FaultPlan(rest_fail_first=100))
    source = make_source(sim, tickers=["btcusdt"])
    records = await collect(source, lambda rs: len(rs) >= 10)
    assert {(r.base_currency, r.quote_currency, r.pair_rule) for r in records if isinstance(r, Trade)} == {
        ("btc", "usdt", "quote_suffix")
    }


def test_market_is_reproducible_and_shaped_like_the_feed() -> None:
    now = 1_788_925_354_366_000
    one, two = Market(seed=3, ticker_count=1_500), Market(seed=3, ticker_count=1_500)
    assert one.view(None, 9).trade_texts(300, now) == two.view(None, 9).trade_texts(300, now)
    assert Market(seed=4, ticker_count=1_500).view(None, 9).trade_texts(50, now) != one.view(None, 9).trade_texts(
        50, now
    )
    assert len(one.tickers) == 1_500
    prices = [t.price for t in one.tickers]
    assert math.log10(max(prices) / min(prices)) > 15  # dust to btcidr
    data = [orjson.loads(text)["data"] for text in one.view(None, 1).trade_texts(20_000, now)]
    exchanges = [d[3] for d in data]
    assert set(exchanges) <= set(EXCHANGE_WEIGHTS)
    assert exchanges.count("huobi") > exchanges.count("binance") > exchanges.count("gdax")
    assert any(a == b for a, b in itertools.pairwise(data))  # identical back-to-back trades
    assert any(b[2] < a[2] for a, b in itertools.pairwise(data))  # slightly out of order


def test_fault_specs_parse_or_explain() -> None:
    plan = FaultPlan.parse("drop_after=500,silence_s=2.5,malformed_kinds=bad_date+short_trade,fault_connections=1")
    assert (plan.drop_after, plan.silence_s, plan.malformed_kinds, plan.fault_connections) == (
        500,
        2.5,
        ("bad_date", "short_trade"),
        1,
    )
    with pytest.raises(ValueError, match="unknown fault 'dorp_after'"):
        FaultPlan.parse("dorp_after=5")
    with pytest.raises(ValueError, match="malformed_kinds: unknown \\['nope'\\]"):
        FaultPlan.parse("malformed_kinds=nope")


async def test_simulator_replays_a_recording_over_the_websocket(
    simulator_factory, tmp_path: Path, collect, make_source
) -> None:
    path = tmp_path / "served.jsonl"
    recorder_sim = await simulator_factory(record=path, tickers=100)
    original = await collect(make_source(recorder_sim, metadata=False), lambda rs: len(rs) >= 100)
    await recorder_sim.stop()
    replay_sim = await simulator_factory(replay=path, speed=0)
    replayed = await collect(make_source(replay_sim, metadata=False), lambda rs: len(rs) >= 100)
    content = [(t.ticker, t.exchange, t.price, t.size, t.trade_time) for t in original[:100]]  # type: ignore[union-attr]
    assert [(t.ticker, t.exchange, t.price, t.size, t.trade_time) for t in replayed[:100]] == content  # type: ignore[union-attr]


def test_cli_rejects_a_bad_fault_spec_and_serves_for_a_bounded_time() -> None:
    runner = CliRunner()
    bad = runner.invoke(simulate, ["--faults", "explode=1"])
    assert bad.exit_code == 2 and "unknown fault 'explode'" in bad.output
    started = time.monotonic()
    ran = runner.invoke(simulate, ["--port", "0", "--duration", "0.2", "--rate", "10"])
    assert ran.exit_code == 0, ran.output
    assert "simulator: websocket ws://127.0.0.1:" in ran.output and time.monotonic() - started < 10
