"""Plugin discovery through entry points: found, broken, duplicated, misspelled, filtered."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from coinstream.core.cli.main import main
from coinstream.core.plugins import PluginError, PluginHost, PluginLoadWarning
from coinstream.core.registry import RegistryError

SOURCE_PLUGIN = """
from pydantic import Field
from coinstream.core import StrictModel, hookimpl

class AcmeSettings(StrictModel):
    url: str = "ws://example.invalid"

def build(settings, context):
    return ("acme-source", settings.url)

@hookimpl
def register_sources(register):
    register("{name}", build, settings=AcmeSettings, description="Acme's feed")
"""


def test_a_plugin_installed_as_a_distribution_is_discovered_with_its_version(install_distribution):
    install_distribution("acme-sources", "1.2.3", {"acme_sources": SOURCE_PLUGIN.format(name="acme")},
                         {"acme": "acme_sources"})

    host = PluginHost(allowed=["acme"])

    component = host.registry.component("source", "acme")
    assert component is not None
    assert component.provider.distribution == "acme-sources"
    assert component.provider.version == "1.2.3"
    assert component.description == "Acme's feed"
    assert component.factory(component.settings_model(), None) == ("acme-source", "ws://example.invalid")


def test_coinstream_plugins_lists_the_distribution_and_its_components(install_distribution, monkeypatch):
    install_distribution("acme-sources", "1.2.3", {"acme_sources": SOURCE_PLUGIN.format(name="acme")},
                         {"acme": "acme_sources"})
    monkeypatch.setenv("COINSTREAM_PLUGINS", "acme")

    result = CliRunner().invoke(main, ["plugins", "--json"])

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    by_name = {d["distribution"]: d for d in report["distributions"]}
    assert set(by_name) == {"coinstream-core", "acme-sources"}
    assert by_name["acme-sources"]["version"] == "1.2.3"
    assert by_name["acme-sources"]["sources"] == ["acme"]
    assert "plugins" in by_name["coinstream-core"]["commands"]


def test_a_plugin_that_fails_to_import_is_reported_and_the_others_still_load(install_distribution):
    install_distribution("acme-broken", "0.9.0", {"acme_broken": "import module_that_does_not_exist\n"},
                         {"broken": "acme_broken"})
    install_distribution("acme-sources", "1.2.3", {"acme_sources": SOURCE_PLUGIN.format(name="acme")},
                         {"acme": "acme_sources"})

    with pytest.warns(PluginLoadWarning) as warned:
        host = PluginHost(allowed=["broken", "acme"])

    message = str(warned[0].message)
    assert "acme-broken 0.9.0" in message
    assert "ModuleNotFoundError" in message and "module_that_does_not_exist" in message
    assert [f.provider.distribution for f in host.failed] == ["acme-broken"]
    assert host.registry.names("source") == ["acme"]


def test_two_distributions_registering_one_name_is_an_error_naming_both(install_distribution):
    install_distribution("acme-sources", "1.2.3", {"acme_sources": SOURCE_PLUGIN.format(name="feed")},
                         {"acme": "acme_sources"})
    install_distribution("acme-rival", "2.0.0", {"acme_rival": SOURCE_PLUGIN.format(name="feed")},
                         {"rival": "acme_rival"})

    host = PluginHost(allowed=["acme", "rival"])
    with pytest.raises(RegistryError) as raised:
        _ = host.registry

    message = str(raised.value)
    assert "source 'feed' is registered twice" in message
    assert "acme-sources 1.2.3" in message and "acme-rival 2.0.0" in message


def test_a_misspelled_hook_fails_at_start_up_with_a_suggestion(install_distribution):
    misspelled = """
from coinstream.core import hookimpl

@hookimpl
def register_source(register):
    register("acme", object)
"""
    install_distribution("acme-typo", "0.1.0", {"acme_typo": misspelled}, {"typo": "acme_typo"})

    with pytest.raises(PluginError) as raised:
        PluginHost(allowed=["typo"])

    assert "'register_source', which is not a coinstream hook" in str(raised.value)
    assert "Did you mean 'register_sources'?" in str(raised.value)
    assert "acme-typo 0.1.0" in str(raised.value)


def test_autoload_off_loads_no_entry_point(install_distribution, monkeypatch):
    install_distribution("acme-sources", "1.2.3", {"acme_sources": SOURCE_PLUGIN.format(name="acme")},
                         {"acme": "acme_sources"})
    monkeypatch.setenv("COINSTREAM_DISABLE_PLUGIN_AUTOLOAD", "1")

    host = PluginHost()

    assert [p.provider.distribution for p in host.loaded] == ["coinstream-core"]
    assert host.registry.names("source") == []


def test_the_allow_list_matches_distribution_names_too(install_distribution, monkeypatch):
    install_distribution("acme-sources", "1.2.3", {"acme_sources": SOURCE_PLUGIN.format(name="acme")},
                         {"acme": "acme_sources"})
    install_distribution("acme-rival", "2.0.0", {"acme_rival": SOURCE_PLUGIN.format(name="rival")},
                         {"rival": "acme_rival"})
    monkeypatch.setenv("COINSTREAM_PLUGINS", "acme-rival")

    host = PluginHost()

    assert host.registry.names("source") == ["rival"]


def test_a_bad_component_name_is_refused_with_the_rule(install_distribution):
    install_distribution("acme-sources", "1.2.3", {"acme_sources": SOURCE_PLUGIN.format(name="Acme Feed")},
                         {"acme": "acme_sources"})

    host = PluginHost(allowed=["acme"])
    with pytest.raises(RegistryError, match=r"acme-sources 1.2.3 registers a source named 'Acme Feed'; names are lower case"):
        _ = host.registry

