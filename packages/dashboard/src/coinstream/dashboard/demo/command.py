"""``coinstream demo``: the main job on embedded defaults, watched live, summarised, with its dashboard.

Local stack up; the Tiingo simulator (or the real feed when COINSTREAM_TIINGO_API_KEY is set);
``coinstream ingest`` and ``coinstream process`` as child processes sharing nothing but Kafka and
the registry; a live view; then, after ``--duration`` or Ctrl-C, the ingestor is flushed, the
processor allowed to catch up and stopped, and the summary and dashboard produced.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console

from coinstream.core import KafkaSettings
from coinstream.dashboard.command import serve, write_report
from coinstream.dashboard.demo.children import Child, start_child
from coinstream.dashboard.demo.live_view import DemoLiveView
from coinstream.dashboard.demo.log_follower import LogFollower
from coinstream.dashboard.demo.schema_wait import SCHEMA_WAIT_S, wait_for_trade_schema
from coinstream.dashboard.demo.pipeline_file import LAKE_PREFIX, TABLES, demo_pipeline, write_pipeline
from coinstream.dashboard.demo.summary import DemoSummary, kafka_trade_ids, lake_trade_ids, rows_per_table
from coinstream.dashboard.lake import LakeLocation
from coinstream.dashboard.server import DashboardServer

if TYPE_CHECKING:
    from coinstream.core.stack.stack import LocalStack

CATCH_UP_TIMEOUT_S = 180.0
REAL_FEED_URL, REAL_REST_URL = "wss://api.tiingo.com/crypto", "https://api.tiingo.com"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _credentials(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip():
            values[key.strip()] = value.strip()
    return values


class _StopRequested:
    """Set by SIGINT/SIGTERM; the run then winds down in order instead of dying mid-write."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: dict[int, object] = {}

    def __enter__(self) -> _StopRequested:
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def _handle(self, _signum: int, _frame: object) -> None:
        self.requested = True

    def __exit__(self, *_exc: object) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)  # type: ignore[arg-type]


def _wait_for_catch_up(view: DemoLiveView, processor: Child, since: float, stop: _StopRequested) -> bool:
    """Wait until every query the processor started committed a batch with Kafka lag 0 after ``since``."""
    deadline = time.monotonic() + CATCH_UP_TIMEOUT_S
    figures = view.figures
    while time.monotonic() < deadline and processor.running() and not stop.requested:
        view.poll()
        if figures.queries and all(figures.caught_up_after.get(q, 0.0) >= since for q in figures.queries):
            return True
        time.sleep(0.5)
    return False


def _start_feed(console: Console, logs: Path, environ: dict[str, str], rate: float, seed: int,
                children: list[Child]) -> tuple[str | None, str | None]:
    """Start the simulator (unless the real feed's key is set); return the feed's websocket and REST URLs."""
    if os.environ.get("COINSTREAM_TIINGO_API_KEY"):
        console.print("feed: the real Tiingo firehose (COINSTREAM_TIINGO_API_KEY is set)")
        return REAL_FEED_URL, REAL_REST_URL
    sim_port = _free_port()
    environ["COINSTREAM_TIINGO_API_KEY"] = "demo-simulator-key"
    children.append(start_child("simulator", ["simulate", "--port", str(sim_port), "--rate", str(rate),
                                              "--seed", str(seed)], logs, environ))
    feed_url = f"ws://127.0.0.1:{sim_port}/crypto"
    console.print(f"feed: the Tiingo simulator at {feed_url}, {rate:,.0f} trades/s, seed {seed}")
    return feed_url, f"http://127.0.0.1:{sim_port}"


def _run_pipeline(stack: LocalStack, run_dir: Path, console: Console, environ: dict[str, str], duration: float,
                  rate: float, seed: int, stop: _StopRequested) -> tuple[KafkaSettings, datetime, DemoLiveView]:
    """Run feed, ingestor and processor for ``duration`` (or until a stop), flush, let the processor catch up,
    and stop them all; return the pipeline's [kafka], when the run started, and the live view's figures."""
    endpoints = stack.endpoints
    logs = run_dir / "logs" / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    children: list[Child] = []
    try:
        feed_url, rest_url = _start_feed(console, logs, environ, rate, seed, children)
        document = demo_pipeline(
            bootstrap_servers=endpoints.bootstrap_servers, schema_registry_url=endpoints.schema_registry_url,
            s3_endpoint_url=endpoints.s3_endpoint_url, bucket=endpoints.bucket, feed_url=feed_url,
            feed_rest_url=rest_url, checkpoints=run_dir / "checkpoints")
        kafka = KafkaSettings(**document["kafka"])
        pipeline = write_pipeline(document, run_dir / "pipeline.toml")
        console.print(f"pipeline: {pipeline}\nlogs: {logs}")
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
        view = DemoLiveView(LogFollower(ingestor.log_path), LogFollower(processor.log_path), console)
        with view:
            deadline = time.monotonic() + duration
            while time.monotonic() < deadline and not stop.requested and ingestor.running():
                view.poll()
                time.sleep(0.5)
            stopped_at = time.time()
            ingestor.stop(timeout_s=120)
            view.poll()
            console.print("ingestor stopped and flushed; waiting for the processor to catch up")
            caught_up = _wait_for_catch_up(view, processor, stopped_at, stop)
        if not caught_up:
            console.print("[yellow]the processor did not report lag 0 in time; the summary shows what landed[/]")
    finally:
        for child in reversed(children):
            child.stop(timeout_s=60)
    return kafka, run_start, view


def _run_demo(stack: LocalStack, console: Console, duration: float, rate: float, seed: int,
              serve_seconds: float | None, port: int) -> DemoSummary:
    """Run the pipeline on the running stack, print its summary, write (and maybe serve) the dashboard."""
    endpoints = stack.endpoints
    run_dir = stack.paths.state / "demo"
    environ = _credentials(stack.paths.credentials_file)
    with _StopRequested() as stop:
        kafka, run_start, view = _run_pipeline(stack, run_dir, console, environ, duration, rate, seed, stop)
        location = LakeLocation(root=f"s3a://{endpoints.bucket}/{LAKE_PREFIX}", endpoint_url=endpoints.s3_endpoint_url,
                                environ={**os.environ, **environ})
        in_kafka = kafka_trade_ids(kafka, run_start)
        in_lake = lake_trade_ids(location, run_start)
        summary = DemoSummary(
            duration_s=duration, trades_in_kafka=len(in_kafka), dead_letters=view.figures.dead_letters,
            trades_in_lake=len(in_lake), lost=len(set(in_kafka) - set(in_lake)),
            duplicates=len(in_lake) - len(set(in_lake)), rows_per_table=rows_per_table(location, TABLES),
            ack_p50_ms=None, ack_p99_ms=view.figures.ack_p99_ms)
        console.print(summary.table())
        report = run_dir / "dashboard.html"
        write_report(location, report)
        console.print(f"dashboard written: {report}")
        wait = serve_seconds if serve_seconds is not None else (None if console.is_terminal else 0.0)
        if wait != 0.0 and not stop.requested:
            with contextlib.suppress(KeyboardInterrupt):
                asyncio.run(serve(DashboardServer(location, port=port), wait))
    return summary


@click.command("demo")
@click.option("--duration", default=120.0, show_default=True, type=click.FloatRange(5), help="Seconds of ingest.")
@click.option("--rate", default=2_000.0, show_default=True, type=click.FloatRange(0),
              help="Simulator trades/s (0 = as fast as it can); ignored with the real feed.")
@click.option("--seed", default=7, show_default=True, type=int, help="Simulator seed.")
@click.option("--serve-seconds", default=None, type=float,
              help="Serve the dashboard this long after the run (default: until Ctrl-C on a terminal, else not).")
@click.option("--port", default=8050, show_default=True, type=click.IntRange(0, 65_535), help="Dashboard port.")
@click.option("--keep-stack/--stop-stack", default=False, show_default=True,
              help="Leave the local stack running afterwards (it is stopped only if this run started it).")
def demo_command(duration: float, rate: float, seed: int, serve_seconds: float | None, port: int,
                 keep_stack: bool) -> None:
    """Run the whole pipeline on the local stack: feed -> Kafka -> Spark -> Delta -> dashboard."""
    from coinstream.core.stack.stack import LocalStack

    console = Console()
    if logging.getLogger().level > logging.DEBUG:
        # The live view and the summary are the demo's output; the library's info events would
        # scroll them away (the children's logs keep everything, in JSON, under .stack/demo/logs).
        logging.getLogger("coinstream").setLevel(logging.WARNING)
    stack = LocalStack()
    console.print("[bold]coinstream demo[/]: starting the local stack (first run: Maven fetches the jars)")
    started = stack.up().started
    try:
        summary = _run_demo(stack, console, duration, rate, seed, serve_seconds, port)
    finally:  # also when the run fails: the stack this run started is stopped unless asked to keep it
        if started and not keep_stack:
            stack.down(started)
            console.print("local stack stopped")
        elif started:
            console.print("local stack left running: stop it with `coinstream stack down`")
    if summary.lost or summary.duplicates:
        raise SystemExit(1)
