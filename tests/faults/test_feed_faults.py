"""Faults of the feed itself: websocket drops (h) and fuzzed frames (i)."""

from __future__ import annotations

import json
import time

import pytest

from coinstream.core import derive_trade_id
from coinstream.devstack.demo.log_follower import LogFollower

from .feed_run import FeedRun
from .fuzz_frames import MAX_FRAME_BYTES, draw_corpus
from .reckoning import ROW_TABLES, assert_exactly_once, table_ids

pytestmark = [pytest.mark.faults, pytest.mark.stack, pytest.mark.spark, pytest.mark.slow, pytest.mark.timeout(900)]

RATE = 3_000
DROPS = 10


def test_h_ten_websocket_drops(fault_suite, fault_report):
    """The simulator aborts the connection every 3 s, ten times: each reconnect is a new session whose
    trades all land; the frames in flight at each drop are a feed gap, counted apart."""
    with FeedRun(fault_suite, "h-websocket-drops", RATE, faults=f"drop_every_s=3,fault_connections={DROPS}") as run:
        run.start()
        follower = LogFollower(run.ingestor.log_path)
        subscribed, deadline = 0, time.monotonic() + 120
        while subscribed < DROPS + 1:  # the eleventh connection is the one that stays
            run.assert_alive()
            subscribed += sum(1 for e in follower.poll() if e["event"] == "feed_subscribed")
            assert time.monotonic() < deadline, f"only {subscribed} sessions in 120 s"
            time.sleep(0.5)
        run.stream(5)
        gaps = [e for e in LogFollower(run.ingestor.log_path).poll() if e["event"] == "feed_gap"]
        run.recover_s = max(float(e["seconds"]) for e in gaps)  # the longest time without a feed
        figures = fault_report(run.finish())

    assert len(gaps) == DROPS
    assert len(run.ledger.sessions) == DROPS + 1
    dropped = run.ledger.sessions[:DROPS]
    assert [s.reason for s in dropped] == ["connection lost"] * DROPS
    # each drop is a record on the feed gaps topic, following the session it ended
    assert [(g.session_id, g.reason) for g in run.readback.gaps] == [(s.session_id, "connection lost") for s in dropped]
    assert figures.landed == len(run.ledger.trades) > RATE * 20
    assert_exactly_once(figures)


FUZZED = 10_000
FUZZ_RATE = 2_000
INJECT_EVERY = 4            # 500 fuzzed frames a second among the trades
OVERSIZED_EVERY = 5_003     # and the simulator's own oversized trade (2 MiB) about every 2.5 s


def test_i_ten_thousand_fuzzed_frames(fault_suite, fault_report, tmp_path):
    """10,000 frames drawn by hypothesis (oversized ones among them) between the trades: each is a dead
    letter with a reason, none reaches a table, the ingestor keeps its one session and the processor runs on."""
    corpus = draw_corpus(FUZZED, oversized=8)
    inject = tmp_path / "fuzzed.jsonl"
    inject.write_text("".join(json.dumps(frame) + "\n" for frame in corpus), encoding="utf-8")
    starts = fault_suite.processor.starts
    faults = f"inject_every={INJECT_EVERY},oversized_every={OVERSIZED_EVERY},oversized_bytes=2097152"
    with FeedRun(fault_suite, "i-fuzzed-frames", FUZZ_RATE, inject=inject, faults=faults) as run:
        run.start()
        run.stream(FUZZED * INJECT_EVERY / FUZZ_RATE + 5)
        figures = fault_report(run.finish())

    fuzzed = {key: line for key, line in run.ledger.dead_letters.items() if line["kind"] == "injected"}
    assert sorted(line["index"] for line in fuzzed.values()) == list(range(FUZZED)), "not every fuzzed frame was read"
    reasons = run.readback.dead_letter_reasons
    assert all(reasons[key] for key in fuzzed), "a fuzzed frame is missing from the dead-letter topic or has no reason"
    oversized = {key: line for key, line in run.ledger.dead_letters.items()
                 if line["kind"] == "oversized" or len(corpus[line.get("index", 0)]) > MAX_FRAME_BYTES}
    assert len(oversized) >= 8 + 3
    for key, line in oversized.items():
        size = line["bytes"] if line["kind"] == "oversized" else len(corpus[line["index"]].encode())
        assert run.readback.dead_letter_sizes[key] == size and "over max_frame_bytes" in reasons[key]
    bad_ids = {derive_trade_id("tiingo", session, position) for session, position in run.ledger.dead_letters}
    for table in ROW_TABLES:
        assert not bad_ids & set(table_ids(fault_suite.lake, table)), f"a dead-letter frame landed in {table}"
    assert len(run.ledger.sessions) == 1 and run.ledger.sessions[0].reason.startswith("closed by server")
    assert fault_suite.processor.starts == starts, f"the processor stopped: {fault_suite.processor.exits}"
    assert figures.dead_letters == len(run.ledger.dead_letters) > FUZZED
    assert_exactly_once(figures)
