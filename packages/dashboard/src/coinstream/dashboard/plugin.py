"""coinstream-dashboard's plugin: the ``dashboard`` and ``demo`` commands."""

from __future__ import annotations

from coinstream.core import CommandRegistrar, hookimpl


@hookimpl
def register_commands(register: CommandRegistrar) -> None:
    """Register ``coinstream dashboard`` (and ``coinstream demo`` once the orchestrator is present)."""
    from coinstream.dashboard.command import dashboard_command

    register(dashboard_command)
