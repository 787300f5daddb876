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
import time

import click
from rich.console import Console

from coinstream.dashboard import DashboardServer, LakeUnavailableError, serve, write_report
from coinstream.devstack.demo.reckoning import summarise
from coinstream.devstack.demo.run import CATCH_UP_TIMEOUT_S, DemoOptions, StopRequested, lake_location, run_pipeline
from coinstream.devstack.demo.summary import LAND_HINT, DemoSummary
from coinstream.devstack.pipeline_file import credentials_environ
from coinstream.devstack.stack import LocalStack


def _run_demo(stack: LocalStack, console: Console, options: DemoOptions) -> DemoSummary:
    """Run the pipeline on the running stack, print its summary, write (and maybe serve) the dashboard."""
    run_dir = stack.paths.state / "demo"
    environ = credentials_environ(stack.endpoints)
    with StopRequested() as stop:
        started = time.monotonic()
        run = run_pipeline(stack, run_dir, console, environ, options, stop)
        location = lake_location(stack, environ)
        summary = summarise(run, run_dir, location, time.monotonic() - started)
        console.print(summary.table())
        if summary.account.not_yet_landed:
            console.print(f"[yellow]{summary.account.not_yet_landed:,} trades are safe in Kafka, not yet in the "
                          f"lake: {LAND_HINT.replace('PIPELINE', str(run.pipeline))}[/]")
        console.print(f"figures: {summary.write_json(run_dir / 'summary.json')}")
        report = run_dir / "dashboard.html"
        try:
            write_report(location, report, summary.run_books())
        except LakeUnavailableError as error:  # nothing landed yet (the processor was stopped early)
            console.print(f"[yellow]no dashboard this time: {error}[/]")
            return summary
        console.print(f"dashboard written: {report}")
        wait = options.serve_seconds if options.serve_seconds is not None else (None if console.is_terminal else 0.0)
        if wait != 0.0 and not stop.requested:
            with contextlib.suppress(KeyboardInterrupt):
                asyncio.run(serve(DashboardServer(location, port=options.port, run_books=summary.run_books()), wait))
    return summary


def _quiet_terminal() -> None:
    """Only the live view and the summary on the terminal: every library's INFO (coinstream's own and
    third parties' such as httpx) stays out of it. The children's JSON logs keep everything."""
    root = logging.getLogger()
    if root.level > logging.DEBUG:
        root.setLevel(logging.WARNING)
        logging.getLogger("coinstream").setLevel(logging.WARNING)


@click.command("demo")
@click.option("--duration", default=120.0, show_default=True, type=click.FloatRange(5), help="Seconds of ingest.")
@click.option("--rate", default=2_000.0, show_default=True, type=click.FloatRange(0),
              help="Simulator trades/s (0 = as fast as it can); ignored with the real feed.")
@click.option("--seed", default=7, show_default=True, type=int, help="Simulator seed.")
@click.option("--clean-feed", is_flag=True, default=False,
              help="No malformed frames and no invalid trades from the simulator (default: 0.1 % of each, so "
                   "the dead-letter topic and the quarantine table fill).")
@click.option("--catch-up-timeout", default=CATCH_UP_TIMEOUT_S, show_default=True, type=click.FloatRange(0),
              help="Seconds the processor gets, after the ingestor's flush, to commit every trade; what it has not "
                   "committed then is reported as still in Kafka.")
@click.option("--serve-seconds", default=None, type=float,
              help="Serve the dashboard this long after the run (default: until Ctrl-C on a terminal, else not).")
@click.option("--port", default=8050, show_default=True, type=click.IntRange(0, 65_535), help="Dashboard port.")
@click.option("--keep-stack/--stop-stack", default=False, show_default=True,
              help="Leave the local stack running afterwards (it is stopped only if this run started it).")
def demo_command(duration: float, rate: float, seed: int, clean_feed: bool, catch_up_timeout: float,
                 serve_seconds: float | None, port: int, keep_stack: bool) -> None:
    """Run the whole pipeline on the local stack: feed -> Kafka -> Spark -> Delta -> dashboard.

    Exits 1 only on real loss (a frame that ended nowhere) or duplicates in the trades table.
    """
    console = Console()
    _quiet_terminal()
    options = DemoOptions(duration=duration, rate=rate, seed=seed, clean_feed=clean_feed,
                          catch_up_timeout=catch_up_timeout, serve_seconds=serve_seconds, port=port)
    stack = LocalStack()
    console.print("[bold]coinstream demo[/]: starting the local stack (first run: Maven fetches the jars)")
    started = stack.up().started
    try:
        summary = _run_demo(stack, console, options)
    finally:  # also when the run fails: the stack this run started is stopped unless asked to keep it
        if started and not keep_stack:
            stack.down(started)
            console.print("local stack stopped")
        elif started:
            console.print("local stack left running: stop it with `coinstream stack down`")
    if summary.failed:
        raise SystemExit(1)
