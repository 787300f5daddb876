"""What the CLI's commands share: the plugin host, and pipeline loading that exits cleanly."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import click

from coinstream.core.cli.output import echo_error
from coinstream.core.config import ConfigError, load_pipeline
from coinstream.core.pipeline import Pipeline
from coinstream.core.plugins import PluginError, PluginHost
from coinstream.core.registry import RegistryError

EXIT_CONFIG_ERROR = 2


@dataclass
class CliState:
    """Built once per CLI invocation; commands reach it with ``click.get_current_context().obj``."""

    _host: PluginHost | None = field(default=None, repr=False)

    @property
    def host(self) -> PluginHost:
        """The plugin host (plugins are loaded on first use)."""
        if self._host is None:
            self._host = load_host_or_exit()
        return self._host

    def load_pipeline(self, path: Path | str) -> Pipeline:
        """Load and validate a pipeline file, or print every problem and exit with status 2."""
        try:
            return load_pipeline(path, self.host.registry)
        except ConfigError as error:
            echo_error(error)
            raise SystemExit(EXIT_CONFIG_ERROR) from None


def load_host_or_exit() -> PluginHost:
    """Load the plugins; a broken plugin contract is printed as a clear error (exit 2)."""
    try:
        host = PluginHost()
        _ = host.registry
    except (PluginError, RegistryError) as error:
        echo_error(error)
        raise SystemExit(EXIT_CONFIG_ERROR) from None
    return host


def cli_state() -> CliState:
    """Return the CliState of the running command."""
    context = click.get_current_context()
    state = context.find_object(CliState)
    if state is None:
        state = context.ensure_object(CliState)
    return state
