"""Recording and replaying sessions: same sessions and positions give the same trade ids."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import orjson
import pytest
from coinstream.core import DeadLetter, FeedGap, Trade, derive_trade_id
from coinstream.tiingo import build_source, replay
from coinstream.tiingo.recording import RecordedFrame, RecordedSession, RecordingError, read_recording
from coinstream.tiingo.simulator import FaultPlan
from structlog.testing import capture_logs


async def test_live_session_replays_to_identical_records(
    simulator_factory, tmp_path: Path, collect, make_source
) -> None:
    sim = await simulator_factory(faults=FaultPlan(drop_after=150, malformed_every=40, fault_connections=1))
    path = tmp_path / "session.jsonl"
    source = make_source(sim, record=str(path), metadata=False)
    live = await collect(source, lambda rs: len(rs) >= 300)
    sessions = [e for e in read_recording(path) if isinstance(e, RecordedSession)]
    assert len(sessions) == 2 and sessions[0].session_id != sessions[1].session_id

    replayed = await _replay(path)
    # the live run stopped after the batch that crossed 300; the recording holds exactly those frames.
    # It holds frames, not the live run's FeedGap record of the reconnect: a replay yields no gaps.
    assert [type(r) for r in live].count(FeedGap) == 1
    assert replayed == [r for r in live if not isinstance(r, FeedGap)]
    assert any(isinstance(r, DeadLetter) for r in replayed)
    assert len({r.trade_id for r in replayed if isinstance(r, Trade)}) == sum(isinstance(r, Trade) for r in replayed)


async def _replay(path: Path, **settings: object) -> list[object]:
    source = build_source({"replay": str(path), "metadata": False, **settings})
    out: list[object] = []
    async for batch in source.batches():
        out.extend(batch)
    return out


async def test_simulator_recording_replays_deterministically(
    simulator_factory, tmp_path: Path, collect, make_source
) -> None:
    path = tmp_path / "sim.jsonl"
    sim = await simulator_factory(record=path)
    await collect(make_source(sim), lambda rs: len(rs) >= 200)
    await sim.stop()
    first, second = await _replay(path), await _replay(path)
    assert len(first) >= 200
    assert [r.trade_id for r in first] == [r.trade_id for r in second]  # type: ignore[attr-defined]


class FakeClock:
    """The replay's monotonic clock and sleep: a sleep moves the clock on at once and is recorded."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.slept.append(round(seconds, 6))
            self.now += seconds


async def test_replay_speed_paces_by_recorded_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    monkeypatch.setattr(replay, "time", SimpleNamespace(monotonic=clock.monotonic))
    monkeypatch.setattr(replay, "asyncio", SimpleNamespace(sleep=clock.sleep))
    path = tmp_path / "paced.jsonl"
    trade = (
        b'{"messageType":"A","service":"crypto_data","data":["T","btcusd","2026-09-06T03:55:54.366000+00:00",'
        b'"gdax",1.0,2.0]}'
    )
    lines = [orjson.dumps({"type": "session", "session_id": "s1", "started_us": 0})]
    lines += [orjson.dumps({"t": 1_000_000 * second, "f": trade.decode()}) for second in range(3)]
    path.write_bytes(b"\n".join(lines) + b"\n")
    records = await _replay(path, replay_speed=10.0)  # frames 1 s apart at 10x: 0.1 s between them
    assert clock.slept == [0.1, 0.1]
    assert [(r.ingest_time, r.trade_id) for r in records] == [  # type: ignore[union-attr]
        (1_000_000 * n, derive_trade_id("tiingo", "s1", n)) for n in range(3)
    ]


def test_broken_recording_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_bytes(b'{"type":"session","session_id":"s","started_us":1}\n{"t": "x"\n')
    with pytest.raises(RecordingError, match=r"broken.jsonl:2: cannot replay this line"):
        list(read_recording(path))
    with pytest.raises(RecordingError, match="does not exist"):
        list(read_recording(tmp_path / "missing.jsonl"))


def test_non_utf8_frames_round_trip(tmp_path: Path) -> None:
    from coinstream.tiingo.recording import Recorder

    recorder = Recorder(tmp_path / "bytes.jsonl")
    recorder.start_session("s", 1)
    recorder.frame(5, b"\xff\xfe not utf-8")
    recorder.close()
    entries = list(read_recording(tmp_path / "bytes.jsonl"))
    assert entries == [RecordedSession("s", 1, {}), RecordedFrame(5, b"\xff\xfe not utf-8")]


def _frame(n: int) -> bytes:
    return (b'{"messageType":"A","service":"crypto_data","data":["T","btcusd","2026-09-06T03:55:54.366000+00:00",'
            b'"gdax",1.0,%d.0]}' % n)


async def test_a_line_torn_by_a_crash_is_skipped_and_later_sessions_still_read(tmp_path: Path) -> None:
    from coinstream.tiingo.recording import Recorder

    path = tmp_path / "crashed.jsonl"
    first = Recorder(path)
    first.start_session("s1", 1)
    first.frame(10, _frame(1))
    first.frame(11, _frame(2))
    first.close()
    with path.open("ab") as file:  # what a SIGKILL in the middle of a write leaves
        file.write(b'{"t":12,"f":"{\\"messageType\\":\\"A\\",\\"serv')
    with capture_logs() as logs:
        assert [e for e in read_recording(path)] == [
            RecordedSession("s1", 1, {}), RecordedFrame(10, _frame(1)), RecordedFrame(11, _frame(2))]
    assert [(e["event"], e["path"], e["line"]) for e in logs] == [("recording_torn_line", str(path), 4)]

    second = Recorder(path)  # a later run appends to the same file
    second.start_session("s2", 2)
    second.frame(20, _frame(3))
    second.close()
    with capture_logs() as logs:
        entries = list(read_recording(path))
    assert entries == [RecordedSession("s1", 1, {}), RecordedFrame(10, _frame(1)), RecordedFrame(11, _frame(2)),
                       RecordedSession("s2", 2, {}), RecordedFrame(20, _frame(3))]
    assert [(e["event"], e["line"], e["log_level"]) for e in logs] == [("recording_torn_line", 4, "warning")]
    replayed = await _replay(path)
    assert [(r.trade_id, r.price) for r in replayed] == [  # type: ignore[attr-defined]
        (derive_trade_id("tiingo", "s1", 0), 1.0), (derive_trade_id("tiingo", "s1", 1), 2.0),
        (derive_trade_id("tiingo", "s2", 0), 3.0)]


def test_a_bad_line_that_is_not_a_torn_one_is_still_an_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"type":"session","session_id":"s","started_us":1}\n{"t":1,"f":"x\n{"t":2,"f":"y"}\n')
    with pytest.raises(RecordingError, match=r"bad.jsonl:2: cannot replay this line"):
        list(read_recording(path))


def test_the_recorder_fsyncs_on_its_interval(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from coinstream.tiingo.recording import Recorder

    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd) or real_fsync(fd))
    every_flush = Recorder(tmp_path / "every.jsonl", sync_interval_ms=0)
    every_flush.start_session("s", 1)
    for n in range(3):
        every_flush.frame(n, _frame(n))
        every_flush.flush()
    assert len(synced) == 3
    every_flush.close()
    assert len(synced) == 4  # and at close
    synced.clear()
    rarely = Recorder(tmp_path / "rarely.jsonl", sync_interval_ms=60_000)
    rarely.start_session("s", 1)
    for n in range(3):
        rarely.frame(n, _frame(n))
        rarely.flush()
    assert synced == []
    rarely.close()
    assert len(synced) == 1
    assert len(list(read_recording(tmp_path / "rarely.jsonl"))) == 4
