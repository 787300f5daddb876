"""coinstream-source-tiingo's plugin: the ``tiingo`` source and the ``simulate`` command."""

from __future__ import annotations

from coinstream.core import CommandRegistrar, ComponentRegistrar, hookimpl
from coinstream.tiingo.settings import TiingoSettings
from coinstream.tiingo.source import build_source


@hookimpl
def register_sources(register: ComponentRegistrar) -> None:
    """Register the ``tiingo`` source (the live feed, or the simulator by default)."""
    register("tiingo", build_source, settings=TiingoSettings,
             description="Tiingo crypto trades over websocket (defaults to the local simulator)")


@hookimpl
def register_commands(register: CommandRegistrar) -> None:
    """Register ``coinstream simulate``."""
    from coinstream.tiingo.cli import simulate

    register(simulate)
