"""Unit tests of coinstream-spark-transforms: no JVM, no stack."""

from __future__ import annotations

import pytest

from coinstream.core import PluginHost, Provider
from coinstream.spark import plugin as spark_plugin
from coinstream.spark.__about__ import __version__


@pytest.fixture(scope="session")
def host() -> PluginHost:
    """A plugin host holding only this package's plugin (plus core's own)."""
    return PluginHost(autoload=False, plugins=[(spark_plugin, Provider("coinstream-spark-transforms", __version__))])
