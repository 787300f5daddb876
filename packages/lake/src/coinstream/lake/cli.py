"""``coinstream delta optimize|vacuum|history TABLE``: maintenance of the lake's tables, without a JVM.

TABLE is a table name (``trades``, ``ohlcv_1m``...), found under the [s3] bucket and prefix of
``--pipeline`` (or of the COINSTREAM_S3_* environment variables), or an explicit location
(``s3a://BUCKET/KEY`` or a local folder).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from coinstream.core import (
    EXIT_SERVICE_UNREACHABLE,
    ConfigError,
    PluginHost,
    ServiceUnreachableError,
    echo_error,
    load_pipeline,
    parse_pipeline,
)
from coinstream.lake.errors import S3SetupError, TableLocationError, TableNotFoundError
from coinstream.lake.maintenance import DEFAULT_RETENTION_HOURS, history, optimize, vacuum
from coinstream.lake.reader import LakeReader
from coinstream.lake.settings import S3Settings

EXIT_FAILED = 1
EXIT_CONFIG_ERROR = 2

_pipeline_option = click.option(
    "--pipeline", "pipeline_file", type=click.Path(path_type=Path), envvar="COINSTREAM_PIPELINE", default=None,
    help="Pipeline TOML whose [s3] section locates TABLE (env COINSTREAM_PIPELINE); default: COINSTREAM_S3_* "
         "variables.")
_json_option = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")


def _reader(pipeline_file: Path | None) -> LakeReader:
    registry = PluginHost().registry
    try:
        pipeline = load_pipeline(pipeline_file, registry) if pipeline_file else parse_pipeline({"s3": {}}, registry)
    except ConfigError as error:
        echo_error(error)
        raise SystemExit(EXIT_CONFIG_ERROR) from None
    section = pipeline.section("s3")
    return LakeReader(section if isinstance(section, S3Settings) else None)


def _split(table: str) -> tuple[str, str | None]:
    """A name stays a name; anything with a '/' is an explicit location (its last folder names it)."""
    if "/" in table:
        return table.rstrip("/").rsplit("/", 1)[-1], table
    return table, None


def _run(action: Any) -> Any:
    try:
        return action()
    except ServiceUnreachableError as error:
        echo_error(error)
        raise SystemExit(EXIT_SERVICE_UNREACHABLE) from None
    except (TableNotFoundError, TableLocationError, S3SetupError) as error:
        echo_error(error)
        raise SystemExit(EXIT_FAILED) from None


@click.group("delta")
def delta_command() -> None:
    """Maintain the Delta tables: compaction, vacuum, history (delta-rs, no JVM)."""


@delta_command.command("optimize")
@click.argument("table")
@_pipeline_option
@click.option("--zorder", "zorder", multiple=True, help="Z-order by this column (repeatable); trades default: ticker.")
@click.option("--no-zorder", is_flag=True, help="Plain compaction, no Z-order.")
@click.option("--target-size-mb", type=click.IntRange(1), default=None, help="Target file size (default: 100 MB).")
@_json_option
def optimize_command(table: str, pipeline_file: Path | None, zorder: tuple[str, ...], no_zorder: bool,
                     target_size_mb: int | None, as_json: bool) -> None:
    """Compact TABLE's small files (and Z-order them). Run it while the processor does not write TABLE."""
    name, path = _split(table)
    columns = () if no_zorder else (zorder or None)
    result = _run(lambda: optimize(_reader(pipeline_file), name, path, columns, target_size_mb))
    if as_json:
        click.echo(json.dumps(result.metrics, default=str))
        return
    metrics = result.metrics
    click.echo(f"{name}: {metrics.get('numFilesRemoved', 0)} files compacted into {metrics.get('numFilesAdded', 0)}"
               f"{' z-ordered by ' + ', '.join(metrics['zorder']) if metrics['zorder'] else ''} in {result.seconds} s")


@delta_command.command("vacuum")
@click.argument("table")
@_pipeline_option
@click.option("--retention-hours", type=click.IntRange(0), default=DEFAULT_RETENTION_HOURS, show_default=True,
              help="Keep files removed more recently than this (time travel needs them).")
@click.option("--dry-run/--delete", default=True, show_default=True, help="List the files, or delete them.")
@_json_option
def vacuum_command(table: str, pipeline_file: Path | None, retention_hours: int, dry_run: bool, as_json: bool) -> None:
    """List (or with --delete remove) TABLE's files that no version within the retention needs."""
    name, path = _split(table)
    result = _run(lambda: vacuum(_reader(pipeline_file), name, path, retention_hours, dry_run))
    files = result.metrics["files"]
    if as_json:
        click.echo(json.dumps(result.metrics))
        return
    for file in files:
        click.echo(file)
    verb = "would delete" if dry_run else "deleted"
    click.echo(f"{name}: {verb} {len(files)} files older than {retention_hours} h", err=True)


@delta_command.command("history")
@click.argument("table")
@_pipeline_option
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True, help="Newest commits to show.")
@_json_option
def history_command(table: str, pipeline_file: Path | None, limit: int, as_json: bool) -> None:
    """Show TABLE's latest commits: version, time, operation and its row counts."""
    name, path = _split(table)
    commits = _run(lambda: history(_reader(pipeline_file), name, path, limit))
    if as_json:
        click.echo(json.dumps(commits, default=str))
        return
    click.echo(f"{'version':>7}  {'time (UTC)':<23}  {'operation':<18}  details")
    for commit in commits:
        when = datetime.fromtimestamp(int(commit.get("timestamp", 0)) / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        click.echo(f"{commit.get('version', '?'):>7}  {when:<23}  {commit.get('operation', '?')!s:<18}  "
                   f"{_details(commit)}")


def _details(commit: dict[str, Any]) -> str:
    metrics = commit.get("operationMetrics") or {}
    wanted = ("numOutputRows", "numTargetRowsInserted", "numTargetRowsUpdated", "numFilesAdded", "numFilesRemoved",
              "numDeletedFiles", "numAddedFiles", "numRemovedFiles")
    shown = [f"{key}={metrics[key]}" for key in wanted if key in metrics]
    parameters = commit.get("operationParameters") or {}
    if parameters.get("epochId") is not None:  # a streaming append: its micro-batch id
        shown.append(f"batch={parameters['epochId']}")
    return " ".join(shown)
