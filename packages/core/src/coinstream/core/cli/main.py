"""The ``coinstream`` entry point: a click group whose commands come from plugins."""

from __future__ import annotations

import click

from coinstream.core.__about__ import __version__
from coinstream.core.cli.state import CliState, cli_state
from coinstream.core.logs import configure_logging

# Commands that later packages provide. When none of the installed plugins registers one,
# the CLI still lists it and says which distribution to install.
COMMANDS_PROVIDED_BY: dict[str, tuple[str, str]] = {
    "stack": ("coinstream-core", "the local stack manager (coinstream.core.stack)"),
    "ingest": ("coinstream-core", "the ingestor: source -> Avro -> Kafka"),
    "simulate": ("coinstream-source-tiingo", "the Tiingo-protocol simulator"),
    "process": ("coinstream-spark-transforms", "the Spark processor: Kafka -> transforms -> sinks"),
    "run": ("coinstream-spark-transforms", "the ingestor and the processor together"),
    "delta": ("coinstream-sink-s3", "Delta table maintenance: optimize, vacuum, history"),
    "dashboard": ("coinstream-dashboard", "the dashboard over the Delta tables"),
    "demo": ("coinstream-dashboard", "the end-to-end demo on the local stack"),
}


def _missing_command(name: str) -> click.Command:
    distribution, what = COMMANDS_PROVIDED_BY[name]

    @click.command(name, context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
                   help=f"[not installed] {what}; provided by {distribution}.")
    def missing() -> None:
        raise click.ClickException(
            f"`coinstream {name}` ({what}) is provided by {distribution}, which is not installed "
            f"(or did not register it). Install it: pip install {distribution}"
        )

    return missing


class PluginCommandGroup(click.Group):
    """A group whose sub-commands are registered by plugins through register_commands."""

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        # Resolving a command loads the plugins, which may log: configure logging first, from
        # the options already parsed, so nothing is printed unformatted or unredacted.
        configure_logging(ctx.params.get("log_level", "info"), ctx.params.get("log_format", "auto"))
        return super().resolve_command(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        configure_logging(ctx.params.get("log_level", "info"), ctx.params.get("log_format", "auto"))
        registered = {c.command.name for c in cli_state().host.registry.commands() if c.command.name}
        return sorted(registered | set(COMMANDS_PROVIDED_BY))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        registered = cli_state().host.registry.command(cmd_name)
        if registered is not None:
            return registered.command
        if cmd_name in COMMANDS_PROVIDED_BY:
            return _missing_command(cmd_name)
        return None


@click.group(cls=PluginCommandGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]), default="info",
              show_default=True, envvar="COINSTREAM_LOG_LEVEL", help="Log level.")
@click.option("--log-format", type=click.Choice(["auto", "json", "console"]), default="auto", show_default=True,
              envvar="COINSTREAM_LOG_FORMAT", help="auto: readable on a terminal, JSON otherwise.")
@click.version_option(__version__, prog_name="coinstream")
@click.pass_context
def main(ctx: click.Context, log_level: str, log_format: str) -> None:
    """coinstream: stream every crypto trade from Tiingo into Delta Lake, exactly once."""
    ctx.ensure_object(CliState)


if __name__ == "__main__":
    main()
