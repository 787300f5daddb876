"""What the CLI's commands share: the plugin host, and pipeline loading that exits cleanly.

The host is made by the ``coinstream`` group (:mod:`coinstream.core.cli.main`), which hands this
module a factory: the commands that read the state are themselves registered by a plugin, so this
module must not import the plugin host.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click

from coinstream.core.cli.output import echo_error
from coinstream.core.config import ALL_COMPONENTS, ConfigError, load_pipeline
from coinstream.core.pipeline import Pipeline

if TYPE_CHECKING:
    from coinstream.core.plugins import PluginHost

EXIT_CONFIG_ERROR = 2


@dataclass
class CliState:
    """Built once per CLI invocation by the ``coinstream`` group; commands reach it with :func:`cli_state`."""

    make_host: Callable[[], PluginHost] = field(repr=False)
    _host: PluginHost | None = field(default=None, repr=False)

    @property
    def host(self) -> PluginHost:
        """The plugin host (plugins are loaded on first use)."""
        if self._host is None:
            self._host = self.make_host()
        return self._host

    def load_pipeline(self, path: Path | str, components: Collection[str] = ALL_COMPONENTS) -> Pipeline:
        """Load and validate a pipeline file (the ``components`` the command uses), or print every problem
        and exit with status 2."""
        try:
            return load_pipeline(path, self.host.registry, components=components)
        except ConfigError as error:
            echo_error(error)
            raise SystemExit(EXIT_CONFIG_ERROR) from None


def cli_state() -> CliState:
    """Return the CliState of the running ``coinstream`` command."""
    context = click.get_current_context()
    state = context.find_object(CliState)
    if state is None:
        raise click.UsageError(f"`{context.command_path}` runs as a sub-command of `coinstream`, which loads the "
                               f"plugins it needs: run `coinstream {context.command_path} ...`")
    return state
