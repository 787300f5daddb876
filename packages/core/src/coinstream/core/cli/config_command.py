"""``coinstream config check FILE``: validate a pipeline file against the installed plugins."""

from __future__ import annotations

from pathlib import Path

import click

from coinstream.core.cli.state import cli_state


@click.group("config")
def config_group() -> None:
    """Work with pipeline configuration files."""


@config_group.command("check")
@click.argument("pipeline_file", type=click.Path(path_type=Path))
def check_command(pipeline_file: Path) -> None:
    """Validate PIPELINE_FILE: every problem is listed with its key and the fix; exit 2 if any."""
    pipeline = cli_state().load_pipeline(pipeline_file)
    parts = [f"pipeline {pipeline.name!r} is valid"]
    if pipeline.source is not None:
        parts.append(f"source {pipeline.source.name}")
    if pipeline.transforms:
        parts.append("transforms " + " -> ".join(t.name for t in pipeline.transforms))
    if pipeline.sinks:
        parts.append("sinks " + ", ".join(s.name for s in pipeline.sinks))
    click.echo("; ".join(parts))
    for key, variable in sorted(pipeline.env_overrides.items()):
        click.echo(f"  {key} comes from ${variable}")
