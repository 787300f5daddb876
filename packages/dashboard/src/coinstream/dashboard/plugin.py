"""coinstream-dashboard's plugin: the ``dashboard`` command."""

from __future__ import annotations

from coinstream.core import CommandRegistrar, hookimpl


@hookimpl
def register_commands(register: CommandRegistrar) -> None:
    """Called once when the CLI loads its plugins; registers ``coinstream dashboard``."""
    from coinstream.dashboard.command import dashboard_command

    register(dashboard_command)
