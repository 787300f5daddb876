"""The fault suite's pipeline: topics, lake prefix and checkpoints of its own, and ONE processor that
every case shares (a JVM start costs ~40 s on the 2-core machine), restarted only when a case kills it
or it stops by itself, which the case then reports."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from coinstream.core import KafkaSettings
from coinstream.devstack.demo.accounting import lowest
from coinstream.devstack.demo.checkpoints import PartitionOffsets, committed_offsets, reached
from coinstream.devstack.demo.children import Child, start_child
from coinstream.devstack.demo.log_follower import LogFollower
from coinstream.lake.reader import LakeReader
from coinstream.lake.settings import S3Settings

PROCESSOR_START_S = 300.0   # a fresh JVM on a busy 2-core machine: session, jars, first batches
# Catching up is judged by progress, not by a clock: a slow machine is not a fault, a stuck processor is.
STALL_S = 240.0             # no query committed anything for this long while the processor ran: it is stuck
CATCH_UP_LIMIT_S = 600.0    # the outer bound, so a crawling processor cannot eat the CI run's budget


def suite_document(*, name: str, kafka: KafkaSettings, s3: S3Settings, checkpoints: Path, tables: tuple[str, ...],
                   feed_url: str = "ws://127.0.0.1:9/crypto") -> dict[str, Any]:
    """The pipeline: the tiingo source on ``feed_url``, validate -> deduplicate -> enrich, a Delta table per
    row table. The processor's copy never reads its feed URL; each case writes one for its simulator."""
    return {
        "pipeline": {"name": name},
        "kafka": kafka.model_dump(mode="json", include={
            "bootstrap_servers", "schema_registry_url", "trades_topic", "dead_letter_topic", "feed_gaps_topic",
            "partitions",
            "replication_factor", "min_insync_replicas"}),
        "s3": s3.model_dump(mode="json", include={"endpoint_url", "bucket", "region", "path_style", "prefix"}),
        "spark": {"master": "local[2]", "trigger_interval": "2 seconds", "checkpoint_location": str(checkpoints),
                  "shuffle_partitions": 2, "max_offsets_per_trigger": 200_000},
        "source": {"name": "tiingo", "url": feed_url, "rest_url": feed_url.replace("ws://", "http://").removesuffix(
            "/crypto"), "reconnect_initial_s": 0.2, "reconnect_max_s": 2.0},
        "transforms": [{"name": "validate"}, {"name": "deduplicate"}, {"name": "enrich"}],
        "sinks": [{"name": "delta", "input": table} for table in tables],
    }


def write_document(document: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(tomli_w.dumps(document).encode())
    return path


def kill_group(child: Child) -> None:
    """SIGKILL the child and everything in its process group (the processor's JVM is the driver's child)."""
    if child.running():
        os.killpg(child.pid, signal.SIGKILL)
    child.process.wait(30)


@dataclass
class ProcessorSupervisor:
    """``coinstream process`` on the suite's pipeline, watched: started, killed, restarted by its PID."""

    pipeline_file: Path
    checkpoints: Path
    pipeline_name: str
    topic: str
    tables: tuple[str, ...]
    log_dir: Path
    environ: dict[str, str]
    child: Child | None = None
    starts: int = 0
    exits: list[str] = field(default_factory=list)  # why each run ended that the suite did not stop

    def start(self, environ: dict[str, str] | None = None, *, wait: bool = True) -> float:
        """Start the processor and (``wait``) wait until every query started; return the seconds it took."""
        begun = time.monotonic()
        self.starts += 1
        self.child = start_child(f"processor-{self.starts}", ["process", str(self.pipeline_file)], self.log_dir,
                                 {**self.environ, **(environ or {})})
        if not wait:
            return 0.0
        follower = LogFollower(self.child.log_path)
        started = 0
        while started < len(self.tables):
            started += sum(1 for event in follower.poll() if event["event"] == "query_started")
            if not self.child.running():
                raise AssertionError(f"the processor exited at start ({self.child.process.returncode}):\n"
                                     + self.tail())
            if time.monotonic() - begun > PROCESSOR_START_S:
                raise AssertionError(f"the processor's queries did not start in {PROCESSOR_START_S:.0f} s:\n"
                                     + self.tail())
            time.sleep(0.5)
        return time.monotonic() - begun

    def running(self) -> bool:
        return self.child is not None and self.child.running()

    def tail(self, lines: int = 30) -> str:
        if self.child is None or not self.child.log_path.exists():
            return ""
        return "\n".join(self.child.log_path.read_text(errors="replace").splitlines()[-lines:])

    def kill(self) -> None:
        """SIGKILL, driver and JVM at once."""
        assert self.child is not None
        kill_group(self.child)

    def stop(self) -> None:
        """SIGTERM (queries stop at their checkpoint), SIGKILL if it does not exit in a minute."""
        if self.child is None:
            return
        try:
            self.child.stop(timeout_s=60)
        except subprocess.TimeoutExpired:
            pass
        kill_group(self.child)

    def ensure_running(self) -> bool:
        """Restart a processor that stopped by itself (noting why); True when it had to."""
        if self.running():
            return False
        if self.child is not None:
            lines = self.tail(60).splitlines()
            # The CLI's last word ("error: query ... stopped: ..."), else the last line that names an error.
            last_error = next((line for line in reversed(lines) if line.startswith("error:")), "") or next(
                (line for line in reversed(lines) if "error" in line.lower()), "")
            self.exits.append(f"exit {self.child.process.returncode}: {last_error[:300]}")
        self.start()
        return True

    def committed(self) -> PartitionOffsets:
        """Per partition, the offset below which every query has committed."""
        return lowest(committed_offsets(self.checkpoints / self.pipeline_name / f"delta-{table}", self.topic)
                      for table in self.tables)

    def wait_caught_up(self, ends: PartitionOffsets, *, stall_s: float = STALL_S,
                       limit_s: float = CATCH_UP_LIMIT_S) -> float:
        """Wait until every query committed ``ends`` (restarting a processor that stopped); return the seconds.

        Fails when the committed offsets have not moved for ``stall_s`` (a restart starts that clock again,
        once the queries run) or after ``limit_s`` in all, saying which and where the queries stand.
        """
        begun = time.monotonic()
        committed, moved = self.committed(), begun
        while not reached(committed, ends):
            if self.ensure_running():
                moved = time.monotonic()
            now = time.monotonic()
            if now - moved > stall_s or now - begun > limit_s:
                why = (f"committed nothing for {stall_s:.0f} s" if now - moved > stall_s
                       else f"did not finish in {limit_s:.0f} s, though it kept committing")
                raise AssertionError(f"the processor {why} (to commit: {ends}; committed: {committed}; restarts: "
                                     f"{self.exits}):\n{self.tail()}")
            time.sleep(0.5)
            latest = self.committed()
            if latest != committed:
                committed, moved = latest, time.monotonic()
        return time.monotonic() - begun


@dataclass
class FaultSuite:
    """What every case shares: the pipeline's settings, the lake, the processor."""

    kafka: KafkaSettings
    s3: S3Settings
    root: Path
    processor: ProcessorSupervisor  # it holds the pipeline's name, checkpoints, tables and the environment

    @property
    def environ(self) -> dict[str, str]:
        return self.processor.environ

    @property
    def lake(self) -> LakeReader:
        return LakeReader(self.s3)

    def document(self, feed_url: str) -> dict[str, Any]:
        processor = self.processor
        return suite_document(name=processor.pipeline_name, kafka=self.kafka, s3=self.s3,
                              checkpoints=processor.checkpoints, tables=processor.tables, feed_url=feed_url)
