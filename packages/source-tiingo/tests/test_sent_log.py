"""The simulator's sent log and injected frames, against the source: every record the source yields is
found in the log at its session's position, with the right kind, and each session's end says how many
frames it received."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from coinstream.core import DeadLetter, FeedGap, Trade, derive_trade_id
from coinstream.tiingo.cli import simulate
from coinstream.tiingo.simulator import FaultPlan
from coinstream.tiingo.simulator.sent_log import DEAD_LETTER_KINDS, TRADE_KINDS
from coinstream.tiingo.timestamps import format_iso_micros
from structlog.testing import capture_logs

INJECTED = ('{"messageType":"A","data":["T","btcusd","not a date","gdax",1,2]}', "ünïcödé ☃ not json",
            '["T"]', '{"messageType":"A","service":"crypto_data","data":[]}')


def read_log(path: Path) -> tuple[dict[tuple[int, int], dict], list[dict]]:
    frames, events = {}, []
    for line in path.read_bytes().splitlines():
        entry = orjson.loads(line)
        if "event" in entry:
            events.append(entry)
        else:
            frames[(entry["connection"], entry["position"])] = entry
    return frames, events


async def test_every_record_is_in_the_sent_log_at_its_session_position(simulator_factory, collect, make_source,
                                                                       tmp_path) -> None:
    log_path = tmp_path / "sent.jsonl"
    plan = FaultPlan(drop_after=150, fault_connections=1, malformed_every=13, invalid_every=7, inject_every=10)
    sim = await simulator_factory(sent_log=log_path, inject=INJECTED, faults=plan)
    source = make_source(sim, metadata=False)
    with capture_logs() as logs:
        records = await collect(source, lambda rs: len(rs) >= 400)
    await sim.stop()
    frames, events = read_log(log_path)

    connection_of = {entry["subscription_id"]: entry["connection"] for entry in frames.values() if entry["kind"] == "I"}
    session_connection = {e["session_id"]: connection_of[e["subscription_id"]]
                          for e in logs if e["event"] == "feed_subscribed"}
    assert sorted(session_connection.values()) == [1, 2]
    position_of = {derive_trade_id("tiingo", session, position): (connection, position)
                   for session, connection in session_connection.items()
                   for (logged_connection, position) in frames if logged_connection == connection}
    for record in records:
        if isinstance(record, Trade):
            entry = frames[position_of[record.trade_id]]
            assert entry["kind"] in TRADE_KINDS
            assert f'"{record.ticker}"' in entry["frame"] and f'"{record.exchange}"' in entry["frame"]
        elif isinstance(record, FeedGap):  # the drop: it follows connection 1, whose last frame was its 151st
            assert session_connection[record.session_id] == 1 and record.reason == "connection lost"
        else:
            assert isinstance(record, DeadLetter)
            entry = frames[(session_connection[record.session_id], record.frame_sequence)]
            assert entry["kind"] in DEAD_LETTER_KINDS
            if entry["kind"] == "injected":
                assert record.raw == INJECTED[entry["index"]].encode()

    # The dropped first connection: the log says where, and the client says how many frames it got.
    [drop] = events
    assert drop == {"connection": 1, "event": "drop", "frames": 151}  # I + 150 data frames
    [ended] = [e for e in logs if e["event"] == "feed_session_ended"]
    assert session_connection[ended["session_id"]] == 1 and ended["frames"] == 151
    assert ended["reason"] == "connection lost"
    # Injected frames go out once each, in order, at every 10th data frame not taken by malformed/invalid.
    injected = sorted((key, entry["index"]) for key, entry in frames.items() if entry["kind"] == "injected")
    assert injected == [((1, 10), 0), ((1, 20), 1), ((1, 30), 2), ((1, 40), 3)]  # data frame n at position n
    assert sim.stats.injected_sent == len(INJECTED)
    kinds = [entry["kind"] for entry in frames.values()]
    assert kinds.count("malformed") == sim.stats.malformed_sent and kinds.count("invalid") == sim.stats.invalid_sent
    assert kinds.count("T") + kinds.count("extra_items") == sim.stats.trades_sent


def test_cli_takes_injected_frames_and_refuses_inject_every_without_them(tmp_path) -> None:
    refused = CliRunner().invoke(simulate, ["--port", "0", "--duration", "0.1", "--faults", "inject_every=3"])
    assert refused.exit_code == 2 and "inject_every needs the frames to inject" in refused.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text('"ok"\n{"not": "a string"}\n')
    refused = CliRunner().invoke(simulate, ["--port", "0", "--duration", "0.1", "--inject", str(bad),
                                            "--faults", "inject_every=3"])
    assert refused.exit_code == 2 and "line 2: expected a JSON string" in refused.output


@pytest.mark.parametrize("spec", ["malformed_every=5,inject_every=10"])
def test_inject_every_follows_the_precedence_rule(spec: str) -> None:
    with pytest.raises(ValueError, match="inject_every=10 is a multiple of malformed_every=5"):
        FaultPlan.parse(spec)


def test_late_trades_are_valid_trades_dated_late_s_before_they_are_sent() -> None:
    plan = FaultPlan.parse("late_every=3,late_s=720")
    now_us = 1_788_925_354_366_000
    assert plan.data_faults(1, 7) == {3: ("late", "late"), 6: ("late", "late")}
    data = orjson.loads(plan.payload("late", "late", now_us))["data"]
    assert data[0] == "T" and data[2] == format_iso_micros(now_us - 720_000_000)
