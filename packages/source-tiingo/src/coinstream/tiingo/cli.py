"""``coinstream simulate``: run the Tiingo-protocol simulator in the foreground."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from pathlib import Path

import click
from coinstream.core import register_secret
from coinstream.tiingo.settings import SIMULATOR_PORT
from coinstream.tiingo.simulator import FaultPlan, Simulator, SimulatorConfig


@click.command("simulate")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on (keep loopback).")
@click.option("--port", default=SIMULATOR_PORT, show_default=True, type=click.IntRange(0, 65_535),
              help="Port of the websocket (/crypto) and REST (/tiingo/...) endpoints; 0 picks a free one.")
@click.option("--rate", default=189.0, show_default=True, type=click.FloatRange(0),
              help="Trades per second per connection (the real firehose averages ~189); 0 = as fast as possible.")
@click.option("--tickers", "ticker_count", default=2_000, show_default=True, type=click.IntRange(1, 100_000),
              help="How many tickers the synthetic market lists.")
@click.option("--seed", default=7, show_default=True, type=int, help="Seed: same seed, same market and trades.")
@click.option("--duration", default=0.0, show_default=True, type=click.FloatRange(0),
              help="Stop after this many seconds; 0 = until Ctrl-C.")
@click.option("--faults", default="", help="Faults to inject, e.g. 'drop_every_s=30,malformed_every=1000' "
              "(see the README for every name).")
@click.option("--heartbeat", "heartbeat_s", default=10.0, show_default=True, type=click.FloatRange(0.05),
              help="Seconds between heartbeat (H) frames.")
@click.option("--record", type=click.Path(dir_okay=False, path_type=Path),
              help="Record the first session served to this JSONL file.")
@click.option("--replay", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Serve the frames of this recording instead of a generated market.")
@click.option("--speed", default=1.0, show_default=True, type=click.FloatRange(0),
              help="Replay speed: 1 = original, 10 = ten times faster, 0 = as fast as possible.")
@click.option("--sent-log", type=click.Path(dir_okay=False, path_type=Path),
              help="Append one JSON line per frame written (connection, position, kind; trades with their text) "
                   "to this file: what the feed sent, for tests that account for every trade.")
@click.option("--inject", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSON lines, each a string: frames to send at the inject_every=N positions of --faults, "
                   "each once, in order.")
@click.option("--api-key", envvar="COINSTREAM_SIMULATOR_API_KEY", default=None,
              help="Accept only this key (E 401 otherwise); default: accept any key. "
                   "Env: COINSTREAM_SIMULATOR_API_KEY.")
def simulate(host: str, port: int, rate: float, ticker_count: int, seed: int, duration: float, faults: str,
             heartbeat_s: float, record: Path | None, replay: Path | None, speed: float, sent_log: Path | None,
             inject: Path | None, api_key: str | None) -> None:
    """Serve Tiingo's crypto websocket and REST API on loopback, with synthetic or recorded trades."""
    register_secret(api_key)
    try:
        plan = FaultPlan.parse(faults)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--faults") from None
    frames = _injected_frames(inject) if inject is not None else ()
    if plan.inject_every and not frames:
        raise click.BadParameter("inject_every needs the frames to inject: give --inject FILE", param_hint="--faults")
    config = SimulatorConfig(host=host, port=port, rate=rate, tickers=ticker_count, seed=seed, api_key=api_key,
                             heartbeat_interval_s=heartbeat_s, faults=plan, record=record, replay=replay,
                             speed=speed, sent_log=sent_log, inject=frames)
    try:
        asyncio.run(_serve(config, duration))
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port} ({error}); is another simulator running? "
                                   "Stop it or pass --port 0") from None


def _injected_frames(path: Path) -> tuple[str, ...]:
    frames = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            text = json.loads(line)
        except ValueError:
            text = None
        if not isinstance(text, str):
            raise click.BadParameter(f"{path} line {number}: expected a JSON string (the frame's text)",
                                     param_hint="--inject")
        frames.append(text)
    return tuple(frames)


async def _serve(config: SimulatorConfig, duration: float) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    async with Simulator(config) as simulator:
        click.echo(f"simulator: websocket {simulator.url}  REST {simulator.rest_url}  "
                   f"rate={'max' if config.rate <= 0 else config.rate}/s  seed={config.seed}", err=True)
        try:
            await asyncio.wait_for(stop.wait(), duration or None)
        except TimeoutError:
            pass
        click.echo("simulator: stopping (clients get what was sent, then a close frame)", err=True)
    # Leaving the block ran Simulator.stop(), which logged simulator_stopped with these counts.
    stats = simulator.stats
    click.echo(f"simulator: stopped after {stats.frames_sent} frames ({stats.trades_sent} trades, "
               f"{stats.malformed_sent} malformed, {stats.invalid_sent} invalid, {stats.injected_sent} injected) to {stats.connections} "
               "connection(s)", err=True)
