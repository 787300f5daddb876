"""``coinstream dashboard``: serve the dashboard, or write it as one self-contained HTML file."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path

import click

from coinstream.dashboard.lake import LakeLocation, LakeUnavailableError, read_snapshot
from coinstream.dashboard.page import render_static
from coinstream.dashboard.server import DashboardServer
from coinstream.dashboard.views import build_views
from coinstream.dashboard.window import DEFAULT_WINDOW_MINUTES
from coinstream.lake import check_endpoint, is_s3_uri


def write_report(location: LakeLocation, out: Path, run_books: list[dict[str, object]] | None = None,
                 window_minutes: float = DEFAULT_WINDOW_MINUTES) -> dict[str, object]:
    """Write the static report of the lake's last ``window_minutes`` of trades to ``out``; return its views.

    ``run_books`` (``[{"where": ..., "frames": n}, ...]``, from ``coinstream demo``) adds where every
    frame of a run ended, dead letters included, which the lake alone cannot tell.
    """
    views = build_views(read_snapshot(location, window_minutes))
    if run_books is not None:
        views["run_books"] = run_books
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_static(views), encoding="utf-8")
    return views


async def serve(server: DashboardServer, seconds: float | None) -> None:
    """Serve until SIGINT/SIGTERM or ``seconds`` passed."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    async with server:
        click.echo(f"dashboard: {server.url} (Ctrl-C to stop)")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)


@click.command("dashboard")
@click.option("--lake", required=True, envvar="COINSTREAM_LAKE",
              help="Folder URI of the Delta tables (trades, ohlcv_1m), e.g. s3a://coinstream/lake. Env: COINSTREAM_LAKE.")
@click.option("--s3-endpoint", envvar="COINSTREAM_S3_ENDPOINT_URL", default=None,
              help="S3-compatible endpoint (the local stack's: http://127.0.0.1:19000). Env: COINSTREAM_S3_ENDPOINT_URL.")
@click.option("--s3-region", envvar="COINSTREAM_S3_REGION", default="us-east-1", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write a self-contained static report to this file.")
@click.option("--serve/--no-serve", "serve_", default=None, help="Serve the live page (default: unless --out is given).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--allowed-host", "allowed_hosts", multiple=True,
              help="Another Host header name to answer (a proxy's, a machine name); repeatable. By default the "
                   "dashboard answers only for the name it listens on (loopback: 127.0.0.1, localhost, ::1).")
@click.option("--port", default=8050, show_default=True, type=click.IntRange(0, 65_535))
@click.option("--refresh", default=5.0, show_default=True, type=click.FloatRange(0.5), help="Seconds between data refreshes.")
@click.option("--window-minutes", default=DEFAULT_WINDOW_MINUTES, show_default=True,
              type=click.FloatRange(min=0, min_open=True), envvar="COINSTREAM_DASHBOARD_WINDOW_MINUTES",
              help="Show the trades of this many minutes up to the latest trade time; only they are read (the "
                   "tables' row counts come from their Delta logs). Env: COINSTREAM_DASHBOARD_WINDOW_MINUTES.")
@click.option("--seconds", default=None, type=float, help="Stop serving after this many seconds.")
def dashboard_command(lake: str, s3_endpoint: str | None, s3_region: str, out: Path | None, serve_: bool | None,
                      host: str, allowed_hosts: tuple[str, ...], port: int, refresh: float,
                      window_minutes: float, seconds: float | None) -> None:
    """Serve the dashboard over the Delta tables (or write it with --out). Credentials come from the
    standard AWS variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)."""
    location = LakeLocation(root=lake, endpoint_url=s3_endpoint, region=s3_region)
    if is_s3_uri(lake):
        # seconds, where delta-rs would retry for minutes; the coinstream group prints it and exits 2
        check_endpoint(s3_endpoint)
    if out is not None:
        try:
            views = write_report(location, out, window_minutes=window_minutes)
        except LakeUnavailableError as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"dashboard: wrote {out} ({views['totals']['trades']:,} trades)")
    if serve_ if serve_ is not None else out is None:
        asyncio.run(serve(DashboardServer(location, host, port, refresh, allowed_hosts=allowed_hosts,
                                          window_minutes=window_minutes), seconds))
