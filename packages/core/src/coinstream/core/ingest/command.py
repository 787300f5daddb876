"""``coinstream ingest PIPELINE``: run the pipeline's source into Kafka."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click
import structlog

from coinstream.core.cli.output import echo_error
from coinstream.core.cli.state import cli_state
from coinstream.core.config import INGEST_COMPONENTS
from coinstream.core.ingest.progress import IngestProgress
from coinstream.core.ingest.runner import IngestOptions, Ingestor
from coinstream.core.kafka.admin import TopicMismatchError
from coinstream.core.kafka.avro import SchemaRegistryUnavailableError
from coinstream.core.unreachable import EXIT_SERVICE_UNREACHABLE, ServiceUnreachableError

EXIT_NOT_ALL_ACKNOWLEDGED = 1
EXIT_SETUP_FAILED = 3

log = structlog.get_logger(__name__)


@click.command("ingest")
@click.argument("pipeline_file", type=click.Path(path_type=Path))
@click.option("--duration", type=float, default=None, help="Stop after this many seconds (default: run until stopped).")
@click.option("--max-trades", type=int, default=None, help="Stop after this many trades were sent.")
@click.option("--metrics-interval", type=float, default=5.0, show_default=True, help="Seconds between metrics events.")
@click.option("--progress/--no-progress", default=True, show_default=True, help="Live progress line on a terminal.")
def ingest_command(pipeline_file: Path, duration: float | None, max_trades: int | None, metrics_interval: float,
                   progress: bool) -> None:
    """Run PIPELINE_FILE's source into Kafka until stopped (Ctrl-C flushes everything acknowledged)."""
    state = cli_state()
    # The ingestor uses [pipeline], [kafka], [ingest], [source] and the installed plugins' sections: a full
    # pipeline file loads here even where the processor's plugins are not installed.
    pipeline = state.load_pipeline(pipeline_file, components=INGEST_COMPONENTS)
    if pipeline.unchecked:
        log.info("pipeline_parts_unchecked", parts=list(pipeline.unchecked),
                 reason="the ingestor does not use them; `coinstream process` checks them")
    with IngestProgress(progress) as live:
        options = IngestOptions(duration_s=duration, max_trades=max_trades, metrics_interval_s=metrics_interval,
                                on_metrics=live.update)
        ingestor = Ingestor(pipeline, state.host.hook, options)
        try:
            report = asyncio.run(ingestor.run())
        except ServiceUnreachableError as error:
            echo_error(error)
            raise SystemExit(EXIT_SERVICE_UNREACHABLE) from None
        except (TopicMismatchError, SchemaRegistryUnavailableError) as error:
            echo_error(error)
            raise SystemExit(EXIT_SETUP_FAILED) from None
    click.echo(
        f"ingested {report.trades_acked:,} trades ({report.trades_per_second:,.0f}/s), "
        f"{report.dead_letters_acked:,} dead letters and {report.feed_gaps_acked:,} feed gaps in "
        f"{report.duration_s:.1f} s; failed {report.failed}, "
        f"unacknowledged {report.pending}; stopped by {report.reason}"
        + (f"; {report.spool_records:,} records kept in the spool for the next start" if report.spool_records else ""))
    if not report.clean:
        raise SystemExit(EXIT_NOT_ALL_ACKNOWLEDGED)
