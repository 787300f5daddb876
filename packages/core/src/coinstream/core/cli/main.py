"""The ``coinstream`` entry point: a click group whose commands come from plugins."""

from __future__ import annotations

import difflib

import click

from coinstream.core.__about__ import __version__
from coinstream.core.cli.output import echo_error
from coinstream.core.cli.state import EXIT_CONFIG_ERROR, CliState
from coinstream.core.logs import configure_logging
from coinstream.core.plugins import PluginError, PluginHost
from coinstream.core.registry import RegistryError
from coinstream.core.unreachable import EXIT_SERVICE_UNREACHABLE, ServiceUnreachableError


def load_host_or_exit() -> PluginHost:
    """Load the plugins; a broken plugin contract is printed as a clear error (exit 2)."""
    try:
        host = PluginHost()
        _ = host.registry
    except (PluginError, RegistryError) as error:
        echo_error(error)
        raise SystemExit(EXIT_CONFIG_ERROR) from None
    return host


def _state(ctx: click.Context) -> CliState:
    """Return this invocation's CliState, making it on first use (sub-commands are resolved before main runs)."""
    state = ctx.find_object(CliState)
    if state is None:
        state = ctx.obj = CliState(load_host_or_exit)
    return state


def unknown_command_message(name: str, host: PluginHost) -> str:
    """Say that no loaded plugin registers `coinstream NAME`, what is installed, and what to do.

    Only what the installed distributions declare is used: the commands their plugins register and
    the plugins that failed to load. A package that is not installed declares nothing here, so the
    message cannot name it.
    """
    installed = [c.command.name for c in host.registry.commands() if c.command.name]
    close = difflib.get_close_matches(name, installed, n=1)
    message = f"No such command {name!r}." + (f" Did you mean {close[0]!r}?" if close else "")
    message += (f" Installed commands: {', '.join(installed)}. A command of a coinstream package that is not "
                f"installed appears once you pip install that package; `coinstream plugins` lists each "
                f"installed package and its commands.")
    if host.failed:
        failed = "; ".join(f"{f.name} ({f.provider}): {f.error}" for f in host.failed)
        message += f" These plugins failed to load, so their commands are missing: {failed}."
    return message


class PluginCommandGroup(click.Group):
    """A group whose sub-commands are registered by plugins through register_commands."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        # Resolving a command loads the plugins, which may log: configure logging first, from
        # the options already parsed, so nothing is printed unformatted or unredacted.
        configure_logging(ctx.params.get("log_level", "info"), ctx.params.get("log_format", "auto"))
        name = args[0] if args else ""
        if name and not name.startswith("-") and not ctx.resilient_parsing and self.get_command(ctx, name) is None:
            ctx.fail(unknown_command_message(name, _state(ctx).host))
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: click.Context) -> object:
        # Every command, whichever plugin registers it: a service that does not answer is one line
        # naming it and the fix, exit 2, never a traceback.
        try:
            return super().invoke(ctx)
        except ServiceUnreachableError as error:
            echo_error(error)
            raise SystemExit(EXIT_SERVICE_UNREACHABLE) from None

    def list_commands(self, ctx: click.Context) -> list[str]:
        configure_logging(ctx.params.get("log_level", "info"), ctx.params.get("log_format", "auto"))
        return [c.command.name for c in _state(ctx).host.registry.commands() if c.command.name]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        registered = _state(ctx).host.registry.command(cmd_name)
        return registered.command if registered is not None else None


@click.group(cls=PluginCommandGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]), default="info",
              show_default=True, envvar="COINSTREAM_LOG_LEVEL", help="Log level.")
@click.option("--log-format", type=click.Choice(["auto", "json", "console"]), default="auto", show_default=True,
              envvar="COINSTREAM_LOG_FORMAT", help="auto: readable on a terminal, JSON otherwise.")
@click.version_option(__version__, prog_name="coinstream")
@click.pass_context
def main(ctx: click.Context, log_level: str, log_format: str) -> None:
    """coinstream: stream every crypto trade from Tiingo into Delta Lake, exactly once."""
    _state(ctx)


if __name__ == "__main__":
    main()
