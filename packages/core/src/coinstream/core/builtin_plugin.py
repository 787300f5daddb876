"""coinstream-core's own plugin: core's CLI commands go through the same hooks as everyone's."""

from __future__ import annotations

import click

from coinstream.core.cli.config_command import config_group
from coinstream.core.cli.plugins_command import plugins_command
from coinstream.core.hookspecs import hookimpl
from coinstream.core.ingest.command import ingest_command
from coinstream.core.registry import CommandRegistrar

stack: click.Group | None
try:
    from coinstream.core.cli.stack_command import stack
except ImportError:  # the stack manager is optional tooling; without it there is no `coinstream stack`
    stack = None


@hookimpl
def register_commands(register: CommandRegistrar) -> None:
    """Register ``plugins``, ``config``, ``ingest`` and ``stack``: the commands core itself provides."""
    register(plugins_command)
    register(config_group)
    register(ingest_command)
    if stack is not None:
        register(stack)
