"""The README documents every component this package registers and every settings key they take."""

from __future__ import annotations

from pathlib import Path

from coinstream.spark.api import SinkContext
from coinstream.spark.settings import SparkSettings

README = (Path(__file__).parents[1] / "README.md").read_text()


def test_every_registered_transform_and_sink_and_its_settings_are_documented(host):
    components = [c for c in host.registry.components() if c.provider.distribution == "coinstream-spark-transforms"]
    assert {c.name for c in components} == {"validate", "deduplicate", "enrich", "ohlcv", "exchange_stats",
                                             "console", "memory"}
    for component in components:
        assert f"`{component.name}`" in README, component.name
        for key in component.settings_model.model_fields:
            assert f"`{key}`" in README, f"{component.name}.{key} is not in the README"


def test_every_spark_setting_is_documented():
    for key in SparkSettings.model_fields:
        assert f"| `{key}` |" in README, key


def test_every_sink_context_field_is_documented():
    for name in SinkContext.__dataclass_fields__:
        assert f"    {name}: " in README, name


def test_the_process_command_is_registered(host):
    assert host.registry.command("process") is not None
