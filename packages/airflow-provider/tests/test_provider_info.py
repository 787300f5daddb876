"""The provider manifest Airflow discovers, and the provider's coinstream command."""

from __future__ import annotations

import importlib
import inspect
import json
from importlib.metadata import entry_points
from pathlib import Path

import jsonschema
from click.testing import CliRunner
from coinstream.airflow.__about__ import __version__
from coinstream.airflow.provider_info import get_provider_info
from coinstream.core.cli.main import main


def test_the_manifest_names_the_distribution_and_version():
    info = get_provider_info()
    assert info["package-name"] == "airflow-provider-coinstream"
    assert info["versions"] == [__version__]
    assert info["integrations"][0]["integration-name"] == "coinstream"


def test_the_manifest_is_valid_for_airflow():
    import airflow

    schema = json.loads((Path(airflow.__file__).parent / "provider_info.schema.json").read_text())
    jsonschema.validate(get_provider_info(), schema)


def test_every_listed_module_imports_and_holds_what_its_section_says():
    from airflow.sdk import BaseHook, BaseOperator, BaseSensorOperator
    from airflow.triggers.base import BaseTrigger

    info = get_provider_info()
    integrations = {i["integration-name"] for i in info["integrations"]}
    expected = {"hooks": BaseHook, "operators": BaseOperator, "sensors": BaseSensorOperator, "triggers": BaseTrigger}
    for section, base in expected.items():
        for entry in info[section]:
            assert entry["integration-name"] in integrations, entry
            for module_name in entry["python-modules"]:
                module = importlib.import_module(module_name)
                offered = [c for _, c in inspect.getmembers(module, inspect.isclass)
                           if issubclass(c, base) and c.__module__ == module_name]
                assert offered, f"{module_name} ({section}) defines no {base.__name__}"
                if section == "operators":
                    assert not [c for c in offered if issubclass(c, BaseSensorOperator)], module_name


def test_each_connection_type_names_a_hook_of_that_type_with_its_form():
    for connection in get_provider_info()["connection-types"]:
        module_name, _, class_name = connection["hook-class-name"].rpartition(".")
        hook = getattr(importlib.import_module(module_name), class_name)
        assert hook.conn_type == connection["connection-type"]
        assert connection["conn-fields"], connection["connection-type"]
        behaviour = connection["ui-field-behaviour"]
        assert set(behaviour["relabeling"]) <= {"host", "login", "password", "port", "schema"}


def test_the_tiingo_api_key_is_the_masked_password_field():
    (tiingo,) = [c for c in get_provider_info()["connection-types"] if c["connection-type"] == "tiingo"]
    assert tiingo["ui-field-behaviour"]["relabeling"]["password"] == "API key"
    assert "password" not in tiingo["ui-field-behaviour"]["hidden-fields"]
    kafka = [c for c in get_provider_info()["connection-types"] if c["connection-type"] == "coinstream_kafka"][0]
    assert kafka["conn-fields"]["schema_registry_password"]["schema"]["format"] == "password"


def test_airflow_finds_the_manifest_through_its_entry_point():
    (entry_point,) = [ep for ep in entry_points(group="apache_airflow_provider")
                      if ep.dist is not None and ep.dist.metadata["Name"] == "airflow-provider-coinstream"]
    assert entry_point.load()()["package-name"] == "airflow-provider-coinstream"


def test_coinstream_airflow_info_prints_the_manifest(monkeypatch):
    monkeypatch.setenv("COINSTREAM_PLUGINS", "airflow")
    result = CliRunner().invoke(main, ["airflow", "info"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["name"] == "coinstream"
    assert [c["connection-type"] for c in printed["connection-types"]] == ["tiingo", "coinstream_kafka"]
