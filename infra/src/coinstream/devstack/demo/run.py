"""One demo run of the pipeline: the feed, ``coinstream ingest`` and ``coinstream process`` as child
processes, watched live; the feed is stopped first, the ingestor flushed, and the processor given
time to commit every trade before it is stopped too."""

from __future__ import annotations

import os
import signal
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.console import Console

from coinstream.core import KafkaSettings
from coinstream.dashboard import LakeLocation
from coinstream.devstack.demo.accounting import lowest
from coinstream.devstack.demo.checkpoints import PartitionOffsets, committed_offsets, reached
from coinstream.devstack.demo.children import Child, start_child
from coinstream.devstack.demo.kafka_range import end_offsets
from coinstream.devstack.demo.live_view import DemoLiveView
from coinstream.devstack.demo.log_follower import LogFollower
from coinstream.devstack.demo.pipeline_file import (
    LAKE_PREFIX,
    PIPELINE_NAME,
    ROW_TABLES,
    TABLES,
    demo_pipeline,
    topic_of,
    write_pipeline,
)
from coinstream.devstack.demo.schema_wait import SCHEMA_WAIT_S, wait_for_trade_schema
from coinstream.devstack.demo.table_commits import TableCommits
from coinstream.devstack.stack import LocalStack

CATCH_UP_TIMEOUT_S = 180.0
FEED_DRAIN_S = 30.0  # how long the ingestor gets to read the last frames once the simulator stopped
# 0.1 % of the frames malformed (dead letters) and 0.1 % invalid trades (quarantine); 997 keeps them apart.
DEMO_FEED_FAULTS = "malformed_every=1000,invalid_every=997"
# The key the ingestor sends the simulator (which accepts any): a secret like a real one, never printed.
SIMULATOR_API_KEY = "demo-simulator-key"


@dataclass(frozen=True)
class DemoOptions:
    """The demo's command-line choices."""

    duration: float = 120.0
    rate: float = 2_000.0
    seed: int = 7
    clean_feed: bool = False
    catch_up_timeout: float = CATCH_UP_TIMEOUT_S
    serve_seconds: float | None = None
    port: int = 8050


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class StopRequested:
    """Set by SIGINT/SIGTERM; the run then winds down in order instead of dying mid-write."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: dict[int, object] = {}

    def __enter__(self) -> StopRequested:
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def _handle(self, _signum: int, _frame: object) -> None:
        self.requested = True

    def __exit__(self, *_exc: object) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)  # type: ignore[arg-type]


@dataclass
class _RunOffsets:
    """The topics' end offsets before the run, and what the routing queries had committed then."""

    trades: PartitionOffsets
    dead_letters: PartitionOffsets
    processed: PartitionOffsets  # what both routing queries (trades, quarantine) had committed


def checkpoint_of(run_dir: Path, table: str) -> Path:
    """The checkpoint folder of the query that writes ``table`` (see Processor.checkpoint_of)."""
    return run_dir / "checkpoints" / PIPELINE_NAME / f"delta-{table}"


def processed_offsets(run_dir: Path, kafka: KafkaSettings) -> PartitionOffsets:
    """Per partition, the offset below which every routing query (one per ROW_TABLES) has committed."""
    return lowest(committed_offsets(checkpoint_of(run_dir, table), kafka.trades_topic) for table in ROW_TABLES)


def _wait_for_catch_up(view: DemoLiveView, processor: Child, run_dir: Path, kafka: KafkaSettings,
                       ends: dict[str, PartitionOffsets], timeout_s: float, stop: StopRequested) -> bool:
    """Wait until every query's committed offsets reach the ``ends`` of its topic (read after the ingestor's
    flush)."""
    deadline = time.monotonic() + timeout_s
    while True:
        view.poll()
        if all(reached(committed_offsets(checkpoint_of(run_dir, table), topic_of(table, kafka)),
                       ends[topic_of(table, kafka)]) for table in TABLES):
            return True
        if time.monotonic() >= deadline or not processor.running() or stop.requested:
            return False
        time.sleep(0.5)


def _start_feed(console: Console, logs: Path, environ: dict[str, str], rate: float, seed: int, clean_feed: bool,
                children: list[Child]) -> tuple[str | None, str | None, Child | None]:
    """Start the simulator (unless the real feed's key is set); return the feed's URLs and the simulator."""
    if os.environ.get("COINSTREAM_TIINGO_API_KEY"):
        console.print("feed: the real Tiingo firehose (COINSTREAM_TIINGO_API_KEY is set)")
        return None, None, None
    sim_port = _free_port()
    environ["COINSTREAM_TIINGO_API_KEY"] = SIMULATOR_API_KEY
    arguments = ["simulate", "--port", str(sim_port), "--rate", str(rate), "--seed", str(seed)]
    if not clean_feed:
        arguments += ["--faults", DEMO_FEED_FAULTS]
    simulator = start_child("simulator", arguments, logs, environ)
    children.append(simulator)
    feed_url = f"ws://127.0.0.1:{sim_port}/crypto"
    faults = "a clean feed" if clean_feed else "0.1 % malformed frames and 0.1 % invalid trades (--clean-feed: none)"
    console.print(f"feed: the Tiingo simulator at {feed_url}, {rate:,.0f} trades/s, seed {seed}, {faults}")
    return feed_url, f"http://127.0.0.1:{sim_port}", simulator


def _stop_feed_then_ingestor(simulator: Child | None, ingestor: Child, view: DemoLiveView) -> None:
    """Stop the feed first, so the ingestor reads every frame the simulator sent, then stop the ingestor.

    The simulator closes its connections after writing everything it counted as sent; the ingestor
    logs ``feed_reconnecting`` once it has decoded the last of them. Only then is it told to stop.
    """
    if simulator is not None:
        seen = view.ingest_log.counts.get("feed_reconnecting", 0)
        simulator.stop(timeout_s=30)
        deadline = time.monotonic() + FEED_DRAIN_S
        while (view.ingest_log.counts.get("feed_reconnecting", 0) == seen and ingestor.running()
               and time.monotonic() < deadline):
            view.poll()
            time.sleep(0.2)
    ingestor.stop(timeout_s=120)
    view.poll(lake=True)


@dataclass
class PipelineRun:
    """What the summary needs from a run: where the pipeline and its logs are, and its figures."""

    kafka: KafkaSettings
    pipeline: Path
    run_start: datetime
    offsets: _RunOffsets
    view: DemoLiveView
    simulator_log: LogFollower | None
    caught_up: bool


def run_pipeline(stack: LocalStack, run_dir: Path, console: Console, environ: dict[str, str],
                  options: DemoOptions, stop: StopRequested) -> PipelineRun:
    """Run feed, ingestor and processor for the duration (or until a stop), stop the feed and flush the
    ingestor, let the processor catch up, and stop them all."""
    endpoints = stack.endpoints
    logs = run_dir / "logs" / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    children: list[Child] = []
    try:
        feed_url, rest_url, simulator = _start_feed(console, logs, environ, options.rate, options.seed,
                                                    options.clean_feed, children)
        document = demo_pipeline(
            bootstrap_servers=endpoints.bootstrap_servers, schema_registry_url=endpoints.schema_registry_url,
            s3_endpoint_url=endpoints.s3_endpoint_url, bucket=endpoints.bucket, feed_url=feed_url,
            feed_rest_url=rest_url, checkpoints=run_dir / "checkpoints")
        kafka = KafkaSettings(**document["kafka"])
        pipeline = write_pipeline(document, run_dir / "pipeline.toml")
        console.print(f"pipeline: {pipeline}\nlogs: {logs}")
        offsets = _RunOffsets(end_offsets(kafka, kafka.trades_topic), end_offsets(kafka, kafka.dead_letter_topic),
                              processed_offsets(run_dir, kafka))
        location = lake_location(stack, environ)
        tables = [TableCommits(location, table, "ingest_time" if table in ROW_TABLES else None) for table in TABLES]
        run_start = datetime.now(UTC)
        ingestor = start_child("ingestor", ["ingest", str(pipeline), "--no-progress", "--metrics-interval", "2"],
                               logs, environ)
        children.append(ingestor)
        # The processor reads the Trade schema's versions when it starts: on a fresh stack the ingestor
        # registers it with its first trade.
        if not wait_for_trade_schema(kafka, lambda: ingestor.running() and not stop.requested):
            raise click.ClickException(
                f"the ingestor registered no Trade schema in {SCHEMA_WAIT_S:.0f} s (or stopped); see "
                f"{ingestor.log_path}")
        processor = start_child("processor", ["process", str(pipeline)], logs, environ)
        children.append(processor)
        view = DemoLiveView(LogFollower(ingestor.log_path), LogFollower(processor.log_path), console, tables)
        with view:
            deadline = time.monotonic() + options.duration
            while time.monotonic() < deadline and not stop.requested and ingestor.running():
                view.poll()
                time.sleep(0.5)
            _stop_feed_then_ingestor(simulator, ingestor, view)
            ends = {topic: end_offsets(kafka, topic) for topic in (kafka.trades_topic, kafka.feed_gaps_topic)}
            console.print("feed stopped, ingestor flushed; waiting for the processor to commit every trade")
            caught_up = _wait_for_catch_up(view, processor, run_dir, kafka, ends, options.catch_up_timeout, stop)
            processor.stop(timeout_s=60)
            view.poll(lake=True)
        if not caught_up:
            console.print("[yellow]the processor had not committed every trade when it was stopped: the summary "
                          "shows what is still in Kafka[/]")
    finally:
        for child in reversed(children):
            child.stop(timeout_s=60)
    simulator_log = LogFollower(simulator.log_path) if simulator is not None else None
    if simulator_log is not None:
        simulator_log.poll()
    return PipelineRun(kafka, pipeline, run_start, offsets, view, simulator_log, caught_up)


def lake_location(stack: LocalStack, environ: dict[str, str]) -> LakeLocation:
    """Where the demo's tables live on the local stack's S3, with its credentials."""
    endpoints = stack.endpoints
    return LakeLocation(root=f"s3a://{endpoints.bucket}/{LAKE_PREFIX}", endpoint_url=endpoints.s3_endpoint_url,
                        environ={**os.environ, **environ})
