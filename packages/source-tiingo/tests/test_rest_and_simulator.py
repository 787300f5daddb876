"""The REST client against the simulator, the simulator's market, faults and replay mode, and the CLI."""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from picows import WSListener, WSMsgType, WSTransport, ws_connect

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


# The bound is what fails the test if --duration is ignored: the simulator would otherwise serve for ever.
@pytest.mark.timeout(30)
def test_cli_rejects_a_bad_fault_spec_and_serves_for_a_bounded_time() -> None:
    runner = CliRunner()
    bad = runner.invoke(simulate, ["--faults", "explode=1"])
    assert bad.exit_code == 2 and "unknown fault 'explode'" in bad.output
    ran = runner.invoke(simulate, ["--port", "0", "--duration", "0.2", "--rate", "10"])
    assert ran.exit_code == 0, ran.output
    assert "simulator: websocket ws://127.0.0.1:" in ran.output
    assert "simulator: stopping (clients get what was sent, then a close frame)" in ran.output
    assert "simulator: stopped after 0 frames (0 trades, 0 malformed, 0 invalid, 0 injected) to 0 connection(s)" \
        in ran.output


def test_data_faults_take_turns_by_precedence_whatever_the_chunking() -> None:
    plan = FaultPlan.parse("malformed_every=4,malformed_kinds=bad_date+zero_size,invalid_every=6,"
                           "invalid_kinds=stale+future,extra_items_every=5")
    assert plan.invalid_kinds == ("stale", "future")
    assert plan.data_faults(1, 24) == {
        4: ("malformed", "bad_date"), 5: ("extra_items", "extra_items"), 6: ("invalid", "stale"),
        8: ("malformed", "zero_size"), 10: ("extra_items", "extra_items"), 12: ("malformed", "bad_date"),
        15: ("extra_items", "extra_items"), 16: ("malformed", "zero_size"), 18: ("invalid", "stale"),
        20: ("malformed", "bad_date"), 24: ("malformed", "zero_size"),
    }  # 12 and 24: malformed wins, and the invalid kind due there (future) is skipped with it
    assert plan.data_faults(1, 7) | plan.data_faults(8, 17) == plan.data_faults(1, 24)
    with pytest.raises(ValueError, match="invalid_kinds: unknown \\['nope'\\]; known .*stale, future, bad_exchange"):
        FaultPlan.parse("invalid_kinds=nope")
    with pytest.raises(ValueError, match="invalid_every=0: give a whole number of frames, 1 or more"):
        FaultPlan.parse("invalid_every=0")
    with pytest.raises(ValueError, match="invalid_every=2000 is a multiple of malformed_every=1000: every such "
                                         "position goes to malformed, so none would be sent"):
        FaultPlan.parse("malformed_every=1000,invalid_every=2000")


_CONTROL = re.compile(rb'^\{"messageType":"[IHE]"')


class _FrameCounter(WSListener):  # type: ignore[misc]
    """Counts a websocket's frames until the server closes it; calls ``at(frames)`` after each."""

    def __init__(self, at: Any) -> None:
        super().__init__()
        self.at = at
        self.frames = 0
        self.control_frames = 0

    def on_ws_frame(self, transport: WSTransport, frame: Any) -> None:
        if frame.msg_type == WSMsgType.TEXT:
            self.frames += 1
            self.control_frames += bool(_CONTROL.match(frame.get_payload_as_bytes()))
            self.at(self.frames)
        elif frame.msg_type == WSMsgType.CLOSE:
            transport.disconnect()


def test_cli_logs_what_it_sent_when_stopped_by_sigterm_after_a_client_got_all_of_it() -> None:
    command = [sys.executable, "-m", "coinstream.core.cli.main", "--log-format", "json", "simulate", "--port", "0",
               "--rate", "2000", "--faults", "malformed_every=10,invalid_every=7"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert process.stderr is not None
    try:
        head = []
        for line in process.stderr:
            head.append(line)
            if line.startswith("simulator: websocket"):
                break
        else:
            pytest.fail(f"the simulator did not start: {''.join(head)}")
        url = re.search(r"ws://\S+", line).group(0)  # type: ignore[union-attr]

        def stop_at_300(count: int) -> None:
            if count == 300:
                process.send_signal(signal.SIGTERM)

        async def read_until_closed() -> _FrameCounter:
            transport, client = await ws_connect(lambda: _FrameCounter(stop_at_300), url)
            transport.send(WSMsgType.TEXT, b'{"eventName":"subscribe","authorization":"k","eventData":{}}')
            await asyncio.wait_for(transport.wait_disconnected(), 10)
            return client  # type: ignore[no-any-return]

        received = asyncio.run(read_until_closed())
        rest = process.communicate(timeout=10)[1]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, rest
    [stopped] = [json.loads(line) for line in rest.splitlines() if '"simulator_stopped"' in line]
    sent = stopped["trades_sent"] + stopped["malformed_sent"] + stopped["invalid_sent"] + stopped["quotes_sent"]
    assert received.frames - received.control_frames == sent == stopped["data_frames_sent"] >= 290
    assert received.frames == stopped["frames_sent"] == sent + stopped["control_frames_sent"]
    assert stopped["malformed_sent"] == sent // 10 and stopped["invalid_sent"] == sent // 7 - sent // 70


def test_the_simulator_keeps_only_the_latest_requests_and_counts_them_all():
    from coinstream.tiingo.simulator.server import REQUESTS_KEPT, SimulatorStats

    stats = SimulatorStats()
    for number in range(REQUESTS_KEPT + 5):
        stats.record_subscribe_request({"eventName": "subscribe", "number": number})
        stats.record_request_target(f"/tiingo/crypto/prices?n={number}")

    assert len(stats.subscribe_requests) == len(stats.request_targets) == REQUESTS_KEPT
    assert stats.subscribe_requests[0]["number"] == 5 and stats.subscribe_requests[-1]["number"] == REQUESTS_KEPT + 4
    assert stats.request_targets[-1] == f"/tiingo/crypto/prices?n={REQUESTS_KEPT + 4}"
    assert stats.subscribe_requests_total == stats.request_targets_total == REQUESTS_KEPT + 5
