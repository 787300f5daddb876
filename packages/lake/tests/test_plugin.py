"""What coinstream-lake registers (the [s3] section, `coinstream delta`), with no Spark installed or loaded,
and that its README documents every [s3] key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from coinstream.core import PluginHost
from coinstream.lake import S3Settings

README = (Path(__file__).parents[1] / "README.md").read_text()


@pytest.fixture(scope="module")
def registry():
    return PluginHost(allowed=["lake"]).registry


def test_the_delta_command_is_registered_by_the_lake(registry):
    command = registry.command("delta")
    assert command is not None and command.provider.distribution == "coinstream-lake"
    assert sorted(command.command.commands) == ["history", "optimize", "vacuum"]


def test_reading_and_maintaining_the_lake_imports_no_spark():
    # A fresh interpreter: this test session has imported pyspark for other packages' tests.
    probe = ("import sys; from coinstream.core import PluginHost; "
             "import coinstream.lake.cli, coinstream.lake.maintenance; "
             "registry = PluginHost(allowed=['lake']).registry; assert registry.section('s3') is not None; "
             "print('loaded:', sorted(m for m in sys.modules if m.split('.')[0] in ('pyspark', 'delta', 'py4j') "
             "or m.startswith(('coinstream.spark', 'coinstream.s3'))))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "loaded: []"


def test_the_readme_documents_every_s3_key():
    for key in S3Settings.model_fields:
        assert f"`{key}`" in README, f"S3Settings.{key} is not in the README"
