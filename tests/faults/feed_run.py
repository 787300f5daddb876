"""One case's feed: the simulator (with its sent log) and the ingestor(s), as separate processes, the
fault in between, then the books.

A case ends as the demo's run does: the simulator is stopped first (it flushes what it wrote, then
closes each connection), the ingestor reads to the end of its session (``feed_session_ended``) and is
stopped with SIGTERM (it flushes); the topics' end offsets then delimit the case, and the shared
processor is waited for until it committed them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from coinstream.devstack.demo.children import Child, start_child
from coinstream.devstack.demo.kafka_range import end_offsets
from coinstream.devstack.demo.log_follower import LogFollower
from coinstream.devstack.readiness import port_listening

from ..ports import unused_port
from .feed_ledger import read_sent_log, read_sessions, settle_feed
from .kafka_readback import TopicEnds, read_case, topic_ends
from .reckoning import CaseFigures, reckon
from .suite import FaultSuite, write_document

SIMULATOR_START_S = 30.0
SESSION_END_S = 60.0       # for the ingestor to read what the stopped simulator had written
INGEST_RECOVERY_S = 420.0  # for the ingestor's spool to drain into Kafka (the processor is judged by progress)


class FeedRun:
    """The simulator and the ingestors of one case; ``finish()`` stops them in order and returns the books."""

    def __init__(self, suite: FaultSuite, case: str, rate: float, faults: str = "", inject: Path | None = None,
                 seed: int = 7) -> None:
        self.suite = suite
        self.case = case
        self.rate = rate
        self.faults = faults
        self.inject = inject
        self.seed = seed
        self.dir = suite.root / case
        self.logs = self.dir / "logs"
        self.sent_log = self.dir / "sent.jsonl"
        self.port = unused_port()
        self.feed_url = f"ws://127.0.0.1:{self.port}/crypto"
        self.pipeline_file = write_document(suite.document(self.feed_url), self.dir / "pipeline.toml")
        self.simulator: Child | None = None
        self.ingestors: list[Child] = []
        self.starts: TopicEnds = ({}, {}, {})
        self.ends: TopicEnds = ({}, {}, {})
        self.started = 0.0
        self.lifted: float | None = None
        self.recover_s: float | None = None
        self.processor_exits_before = 0

    # -- the processes -----------------------------------------------------------------------------
    def start(self, spool: str = "spool-1") -> FeedRun:
        """Start the simulator, note the topics' end offsets, start the first ingestor."""
        arguments = ["simulate", "--port", str(self.port), "--rate", str(self.rate), "--seed", str(self.seed),
                     "--sent-log", str(self.sent_log)]
        if self.faults:
            arguments += ["--faults", self.faults]
        if self.inject is not None:
            arguments += ["--inject", str(self.inject)]
        self.simulator = start_child("simulator", arguments, self.logs, self.suite.environ)
        deadline = time.monotonic() + SIMULATOR_START_S
        while not port_listening(self.port):
            assert self.simulator.running() and time.monotonic() < deadline, "the simulator did not start listening"
            time.sleep(0.1)
        self.starts = topic_ends(self.suite.kafka)
        self.started = time.monotonic()
        self.processor_exits_before = len(self.suite.processor.exits)
        self.start_ingestor(spool)
        return self

    def start_ingestor(self, spool: str, script: Path | None = None) -> Child:
        """Start ``coinstream ingest`` (or ``python SCRIPT PIPELINE``) with its spool in the case's folder ``spool``."""
        name = f"ingestor-{len(self.ingestors) + 1}"
        environ = {**self.suite.environ, "COINSTREAM_SPOOL_DIR": str(self.dir / spool)}
        if script is None:
            child = start_child(name, ["ingest", str(self.pipeline_file), "--no-progress", "--metrics-interval", "1"],
                                self.logs, environ)
        else:
            log_path = self.logs / f"{name}.log"
            with open(log_path, "ab") as output:
                process = subprocess.Popen([sys.executable, str(script), str(self.pipeline_file)], stdout=output,
                                           stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                           env={**os.environ, **environ}, start_new_session=True)
            child = Child(name, process, log_path)
        self.ingestors.append(child)
        return child

    @property
    def ingestor(self) -> Child:
        return self.ingestors[-1]

    def stream(self, seconds: float) -> None:
        """Let the feed run; fail at once if the ingestor or the simulator died."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.assert_alive()
            time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))

    def stream_without_ingestor(self, seconds: float) -> None:
        """Let the simulator run while no ingestor reads it (it was killed)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.simulator is not None and self.simulator.running(), "the simulator stopped"
            time.sleep(0.2)

    def assert_alive(self) -> None:
        assert self.simulator is not None and self.simulator.running(), "the simulator stopped"
        if not self.ingestor.running():
            raise AssertionError(f"the ingestor stopped ({self.ingestor.process.returncode}):\n"
                                 + "\n".join(self.ingestor.log_path.read_text(errors="replace").splitlines()[-20:]))

    # -- recovery ----------------------------------------------------------------------------------
    def fault_lifted(self) -> None:
        """The fault is over: the clock of ``time to recover`` starts."""
        self.lifted = time.monotonic()

    def wait_recovered(self, timeout_s: float = INGEST_RECOVERY_S) -> float:
        """Wait until the pipeline is caught up again, and return the seconds since the fault was lifted.

        Caught up: the ingestor holds less than a second of the feed unacknowledged (its spool), within
        ``timeout_s``; and then the processor has committed the topic's end offsets read at that moment
        (:meth:`ProcessorSupervisor.wait_caught_up`: as long as it keeps committing).
        """
        assert self.lifted is not None, "call fault_lifted() first"
        lifted_at = datetime.now(UTC).timestamp() - (time.monotonic() - self.lifted)
        follower = LogFollower(self.ingestor.log_path)
        deadline = self.lifted + timeout_s
        while True:
            self.assert_alive()
            self.suite.processor.ensure_running()
            metrics = [event for event in follower.poll() if event["event"] == "ingest_metrics"
                       and datetime.fromisoformat(event["timestamp"]).timestamp() > lifted_at]
            if metrics and _unacknowledged(metrics[-1]) <= max(self.rate, 500):
                break
            assert time.monotonic() < deadline, f"the ingestor did not catch up in {timeout_s:.0f} s"
            time.sleep(0.5)
        self.suite.processor.wait_caught_up(end_offsets(self.suite.kafka, self.suite.kafka.trades_topic))
        self.recover_s = time.monotonic() - self.lifted
        return self.recover_s

    def recover_then_finish(self, stream_s: float = 3.0) -> CaseFigures:
        """The fault is over: time the recovery, stream ``stream_s`` more, and finish."""
        self.fault_lifted()
        self.wait_recovered()
        self.stream(stream_s)
        return self.finish()

    # -- the end -----------------------------------------------------------------------------------
    def finish(self) -> CaseFigures:
        """Stop the feed, then the ingestor; wait for the processor; return the case's figures."""
        duration = time.monotonic() - self.started
        self.stop_feed()
        self.ends = topic_ends(self.suite.kafka)
        self.suite.processor.wait_caught_up(self.ends[0])
        readback = read_case(self.suite.kafka, self.starts, self.ends)
        ledger = settle_feed(read_sent_log(self.sent_log), read_sessions(c.log_path for c in self.ingestors),
                             set(readback.trade_ids), set(readback.dead_letters))
        figures = reckon(self.case, self.rate, duration, ledger, readback, self.suite.lake, self.recover_s)
        figures.processor_exits = self.suite.processor.exits[self.processor_exits_before:]
        self.readback, self.ledger = readback, ledger
        return figures

    def stop_feed(self) -> None:
        """Stop the simulator (it flushes), let the ingestor read to the end, stop it (it flushes)."""
        if self.simulator is not None:
            self.simulator.stop(timeout_s=60)
        follower = LogFollower(self.ingestor.log_path)
        deadline = time.monotonic() + SESSION_END_S
        subscribed = ended = 0
        while self.ingestor.running() and time.monotonic() < deadline:
            for event in follower.poll():
                subscribed += event["event"] == "feed_subscribed"
                ended += event["event"] == "feed_session_ended"
            if subscribed and ended >= subscribed:
                break
            time.sleep(0.2)
        for child in self.ingestors:
            child.stop(timeout_s=60)

    def __enter__(self) -> FeedRun:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop whatever still runs (after a failure)."""
        for child in [*self.ingestors, *([self.simulator] if self.simulator else [])]:
            if child.running():
                child.stop(timeout_s=30)


def _unacknowledged(metrics: dict) -> int:
    """Records the ingestor holds that Kafka has not acknowledged: its spool, or its producer's queue."""
    if "spool_records" in metrics:
        return int(metrics["spool_records"])
    return int(metrics.get("pending") or 0)
