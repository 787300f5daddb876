"""``coinstream plugins``: what is installed, what it registers, and what failed to load."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from coinstream.core.cli.state import cli_state
from coinstream.core.logs.redaction import redact_text

if TYPE_CHECKING:
    from coinstream.core.plugins import PluginHost


def plugins_report(host: PluginHost) -> dict[str, Any]:
    """Return the installed plugins, their components, sections, commands and load failures."""
    registry = host.registry
    distributions: dict[str, dict[str, Any]] = {}
    for loaded in host.loaded:
        entry = distributions.setdefault(loaded.provider.distribution, {
            "distribution": loaded.provider.distribution, "version": loaded.provider.version,
            "plugins": [], "sources": [], "transforms": [], "sinks": [], "config_sections": [], "commands": [],
        })
        entry["plugins"].append(loaded.name)
    for component in registry.components():
        distributions[component.provider.distribution][f"{component.kind}s"].append(component.name)
    for section in registry.sections():
        distributions[section.provider.distribution]["config_sections"].append(section.name)
    for registered in registry.commands():
        distributions[registered.provider.distribution]["commands"].append(registered.command.name)
    return {
        "distributions": sorted(distributions.values(), key=lambda d: d["distribution"]),
        "failed": [{"plugin": f.name, "distribution": f.provider.distribution, "version": f.provider.version,
                    "error": f.error} for f in host.failed],
    }


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def plugins_command(as_json: bool) -> None:
    """List installed coinstream plugins, their versions and what each registers."""
    report = plugins_report(cli_state().host)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    for dist in report["distributions"]:
        click.echo(f"{dist['distribution']} {dist['version']}")
        for label in ("sources", "transforms", "sinks", "config_sections", "commands"):
            if dist[label]:
                click.echo(f"  {label.replace('_', ' ')}: {', '.join(dist[label])}")
    for failure in report["failed"]:
        click.echo(f"FAILED {failure['distribution']} {failure['version']} ({failure['plugin']}): "
                   f"{redact_text(str(failure['error']))}")
