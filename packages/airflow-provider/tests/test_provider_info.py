"""The provider manifest Airflow discovers, and the provider's coinstream command."""

from __future__ import annotations

import json
from importlib.metadata import entry_points

from click.testing import CliRunner

from coinstream.airflow.__about__ import __version__
from coinstream.airflow.provider_info import get_provider_info
from coinstream.core.cli.main import main


def test_the_manifest_names_the_distribution_and_version():
    info = get_provider_info()
    assert info["package-name"] == "airflow-provider-coinstream"
    assert info["versions"] == [__version__]
    assert info["integrations"][0]["integration-name"] == "coinstream"


def test_airflow_finds_the_manifest_through_its_entry_point():
    (entry_point,) = [ep for ep in entry_points(group="apache_airflow_provider")
                      if ep.dist is not None and ep.dist.metadata["Name"] == "airflow-provider-coinstream"]
    assert entry_point.load()()["package-name"] == "airflow-provider-coinstream"


def test_coinstream_airflow_info_prints_the_manifest(monkeypatch):
    monkeypatch.setenv("COINSTREAM_PLUGINS", "airflow")
    result = CliRunner().invoke(main, ["airflow", "info"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["name"] == "coinstream"
