"""``coinstream process PIPELINE``: run the Spark processor until stopped (or until caught up)."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType

import click

from coinstream.core import ConfigError, PluginHost, echo_error, load_pipeline
from coinstream.spark.jars import SparkJarsError
from coinstream.spark.processor import Processor, ProcessorError, ProcessorOptions
from coinstream.spark.streams import PipelineGraphError
from coinstream.spark.writer_schemas import UnreadableSchemaError

EXIT_QUERY_FAILED = 1
EXIT_CONFIG_ERROR = 2
EXIT_SETUP_FAILED = 3


def _sigterm_as_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@click.command("process")
@click.argument("pipeline_file", type=click.Path(path_type=Path))
@click.option("--available-now", is_flag=True, default=None,
              help="Process what the topic holds now, then stop (overrides [spark] available_now).")
@click.option("--duration", type=float, default=None, help="Stop after this many seconds (default: run until stopped).")
def process_command(pipeline_file: Path, available_now: bool | None, duration: float | None) -> None:
    """Run PIPELINE_FILE's transforms and sinks on the trades topic (Ctrl-C stops at the checkpoint)."""
    host = PluginHost()
    try:
        pipeline = load_pipeline(pipeline_file, host.registry)
    except ConfigError as error:
        echo_error(error)
        raise SystemExit(EXIT_CONFIG_ERROR) from None
    processor = Processor(pipeline, host.hook, ProcessorOptions(available_now=available_now, duration_s=duration))
    previous = signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
    try:
        report = processor.run()
    except (PipelineGraphError, UnreadableSchemaError, SparkJarsError) as error:
        echo_error(error)
        raise SystemExit(EXIT_SETUP_FAILED if not isinstance(error, PipelineGraphError) else EXIT_CONFIG_ERROR) from None
    except ProcessorError as error:
        echo_error(error)
        raise SystemExit(EXIT_QUERY_FAILED) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
    for query in sorted(report.batches):
        click.echo(f"{query}: {report.batches[query]} micro-batches, {report.rows[query]:,} input rows")
    click.echo(f"stopped by {report.reason} after {report.duration_s:.1f} s")
