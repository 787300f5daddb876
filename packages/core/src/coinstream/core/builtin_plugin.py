"""coinstream-core's own plugin: core's CLI commands go through the same hooks as everyone's."""

from __future__ import annotations

from coinstream.core.cli.config_command import config_group
from coinstream.core.cli.plugins_command import plugins_command
from coinstream.core.hookspecs import hookimpl
from coinstream.core.ingest.command import ingest_command
from coinstream.core.registry import CommandRegistrar


@hookimpl
def register_commands(register: CommandRegistrar) -> None:
    """Called once when the CLI loads its plugins; registers ``plugins``, ``config`` and ``ingest``,
    the commands core itself provides (``stack`` and ``demo`` come from coinstream-devstack)."""
    register(plugins_command)
    register(config_group)
    register(ingest_command)
