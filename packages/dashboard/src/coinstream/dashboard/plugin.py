"""coinstream-dashboard's plugin: the ``dashboard`` and ``demo`` commands."""

from __future__ import annotations

from coinstream.core import CommandRegistrar, hookimpl


@hookimpl
def register_commands(register: CommandRegistrar) -> None:
    """Register ``coinstream dashboard`` and ``coinstream demo``."""
    from coinstream.dashboard.command import dashboard_command
    from coinstream.dashboard.demo.command import demo_command

    register(dashboard_command)
    register(demo_command)
