"""The `coinstream` commands are what the installed distributions register, under their own names."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from coinstream.core.cli.config_command import config_group
from coinstream.core.cli.main import main
from coinstream.core.plugins import PluginLoadWarning

COMMAND_PLUGIN = """
import click
from coinstream.core import hookimpl

@click.command("replay")
def replay():
    '''Replay Acme's recorded feed.'''
    click.echo("acme feed replayed")

@hookimpl
def register_commands(register):
    register(replay)
"""


def test_a_command_a_distribution_registers_is_listed_under_that_distribution(install_distribution, monkeypatch):
    install_distribution("acme-tools", "4.5.6", {"acme_tools": COMMAND_PLUGIN}, {"acme": "acme_tools"})
    monkeypatch.setenv("COINSTREAM_PLUGINS", "acme")

    report = json.loads(CliRunner().invoke(main, ["plugins", "--json"]).stdout)
    text = CliRunner().invoke(main, ["plugins"]).stdout

    commands = {d["distribution"]: d["commands"] for d in report["distributions"]}
    assert commands == {"acme-tools": ["replay"], "coinstream-core": ["config", "ingest", "plugins"]}
    assert "acme-tools 4.5.6\n  commands: replay\n" in text
    assert CliRunner().invoke(main, ["replay"]).stdout == "acme feed replayed\n"


def test_help_lists_only_the_commands_the_installed_plugins_register(install_distribution, monkeypatch):
    install_distribution("acme-tools", "4.5.6", {"acme_tools": COMMAND_PLUGIN}, {"acme": "acme_tools"})
    monkeypatch.setenv("COINSTREAM_PLUGINS", "acme")

    result = CliRunner().invoke(main, ["--help"])

    assert result.exit_code == 0, result.output
    listed = [line.split()[0] for line in result.stdout.split("Commands:\n")[1].splitlines() if line.strip()]
    assert listed == ["config", "ingest", "plugins", "replay"]
    assert "Replay Acme's recorded feed." in result.stdout
    assert "not installed" not in result.stdout


def test_a_command_no_installed_plugin_registers_is_a_usage_error_naming_what_is_installed(monkeypatch):
    monkeypatch.setenv("COINSTREAM_DISABLE_PLUGIN_AUTOLOAD", "1")

    result = CliRunner().invoke(main, ["process", "pipeline.toml"])

    assert result.exit_code == 2
    assert "No such command 'process'." in result.output
    assert "Installed commands: config, ingest, plugins." in result.output
    assert "pip install that package; `coinstream plugins` lists" in result.output


def test_a_misspelled_command_gets_a_suggestion(monkeypatch):
    monkeypatch.setenv("COINSTREAM_DISABLE_PLUGIN_AUTOLOAD", "1")

    result = CliRunner().invoke(main, ["ingets"])

    assert result.exit_code == 2
    assert "No such command 'ingets'. Did you mean 'ingest'?" in result.output


def test_a_missing_command_names_the_plugins_that_failed_to_load(install_distribution, monkeypatch):
    install_distribution("acme-broken", "0.9.0", {"acme_broken": "import module_that_does_not_exist\n"},
                         {"broken": "acme_broken"})
    monkeypatch.setenv("COINSTREAM_PLUGINS", "broken")

    with pytest.warns(PluginLoadWarning):
        result = CliRunner().invoke(main, ["replay"])

    assert result.exit_code == 2
    assert "These plugins failed to load, so their commands are missing: broken (acme-broken 0.9.0): " \
           "ModuleNotFoundError: No module named 'module_that_does_not_exist'." in " ".join(result.output.split())


def test_a_core_command_run_outside_the_coinstream_group_says_how_to_run_it(tmp_path):
    result = CliRunner().invoke(config_group, ["check", str(tmp_path / "pipeline.toml")], prog_name="config")

    assert result.exit_code == 2
    assert "`config check` runs as a sub-command of `coinstream`" in result.output
    assert "run `coinstream config check ...`" in result.output
