"""The provider's coinstream plugin: ``coinstream airflow info`` prints the provider manifest."""

from __future__ import annotations

import json

import click

from coinstream.airflow.provider_info import get_provider_info
from coinstream.core import CommandRegistrar, hookimpl


@click.group("airflow")
def airflow_group() -> None:
    """The Airflow provider (airflow-provider-coinstream)."""


@airflow_group.command("info")
def info_command() -> None:
    """Print the provider manifest Airflow discovers (get_provider_info) as JSON."""
    click.echo(json.dumps(get_provider_info(), indent=2))


@hookimpl
def register_commands(register: CommandRegistrar) -> None:
    """Register ``coinstream airflow``."""
    register(airflow_group)
