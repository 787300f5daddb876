"""What the plugin registers, a pipeline using the sinks validates, and the README documents every table and
every sink setting (the [s3] keys are coinstream-lake's, documented in its README)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coinstream.core import ComponentContext, ConfigError, PluginHost, parse_pipeline
from coinstream.s3.sinks.csv import CSV_COLUMNS, CsvSinkSettings
from coinstream.s3.sinks.delta import DeltaSink, DeltaSinkSettings
from coinstream.s3.tables import TABLES

README = (Path(__file__).parents[1] / "README.md").read_text()
NO_S3 = ComponentContext(pipeline_name="t", kind="sink", name="delta", key="sinks[0]")


@pytest.fixture(scope="module")
def registry():
    return PluginHost(allowed=["lake", "s3", "spark"]).registry


def test_the_sinks_are_registered(registry):
    delta, csv = registry.component("sink", "delta"), registry.component("sink", "csv")
    assert delta is not None and delta.factory is DeltaSink and delta.engine == "spark"
    assert csv is not None and csv.settings_model is CsvSinkSettings
    assert delta.provider.distribution == "coinstream-sink-s3"


def test_a_pipeline_with_delta_sinks_validates_and_a_misspelled_key_is_refused(registry):
    pipeline = parse_pipeline({"s3": {"bucket": "lake"}, "sinks": [
        {"name": "delta", "input": "trades", "partition_by": ["trade_date", "exchange"]},
        {"name": "delta", "input": "ohlcv_1m", "mode": "merge"}]}, registry, environ={})
    assert pipeline.sinks[0].settings.partition_by == ["trade_date", "exchange"]
    assert pipeline.sinks[1].settings.mode == "merge"
    with pytest.raises(ConfigError, match=r"partiton_by: unknown key"):
        parse_pipeline({"sinks": [{"name": "delta", "partiton_by": ["x"]}]}, registry, environ={})


def test_each_pipeline_s_sinks_locate_their_tables_with_that_pipeline_s_s3_section(registry):
    def sinks_of(s3: dict) -> list:
        pipeline = parse_pipeline({"s3": s3, "sinks": [
            {"name": "delta", "input": "trades"}, {"name": "csv"},
            {"name": "delta", "input": "late_trades"}]}, registry, environ={})
        return [pipeline.build(sink) for sink in pipeline.sinks]

    lake = sinks_of({"bucket": "lake", "prefix": "prod/"})
    other = sinks_of({"bucket": "other-lake"})

    assert [sink.storage.location()[0].spark_uri for sink in lake] == [
        "s3a://lake/prod/trades", "s3a://lake/prod/exports/trades_csv", "s3a://lake/prod/late_trades"]
    assert lake[2].check_locations() == ["s3a://lake/prod/trades"]
    assert [sink.storage.location()[0].spark_uri for sink in other] == [
        "s3a://other-lake/trades", "s3a://other-lake/exports/trades_csv", "s3a://other-lake/late_trades"]


def test_the_documented_table_defaults():
    assert (TABLES["trades"].mode, TABLES["trades"].partition_by) == ("append", ("trade_date",))
    assert (TABLES["ohlcv_1m"].mode, TABLES["ohlcv_1m"].keys) == ("merge", ("window_start", "ticker", "exchange"))
    assert (TABLES["exchange_stats"].mode, TABLES["exchange_stats"].keys) == ("merge", ("window_start", "exchange"))
    assert TABLES["quarantine"].mode == "append"


@pytest.mark.parametrize("table", sorted(TABLES))
def test_the_readme_documents_every_column_of_every_table(table):
    section = README.split(f"### `{table}`", 1)
    assert len(section) == 2, f"README has no '### `{table}`' section"
    body = section[1].split("\n### ", 1)[0]
    documented = re.findall(r"^\| `([a-z_]+)` \| `([a-z]+)` \|", body, flags=re.MULTILINE)
    assert [name for name, _ in documented] == list(TABLES[table].columns)


@pytest.mark.parametrize("model", [DeltaSinkSettings, CsvSinkSettings])
def test_the_readme_documents_every_setting(model):
    for key in model.model_fields:
        assert f"`{key}`" in README, f"{model.__name__}.{key} is not in the README"


def test_the_readme_names_the_csv_columns_in_order():
    assert ", ".join(CSV_COLUMNS) in README


def test_new_tables_get_the_documented_properties_then_the_settings():
    assert DeltaSink(DeltaSinkSettings(input="trades"), NO_S3).table_properties() == {
        "delta.dataSkippingStatsColumns": "trade_time,ingest_time,ticker,exchange"}
    assert DeltaSink(DeltaSinkSettings(input="ohlcv_1m"), NO_S3).table_properties() == {}
    assert DeltaSink(DeltaSinkSettings(input="mine"), NO_S3).table_properties() == {}
    own = DeltaSinkSettings(input="trades", table_properties={"delta.dataSkippingStatsColumns": "trade_time",
                                                             "delta.appendOnly": "true"})
    assert DeltaSink(own, NO_S3).table_properties() == {"delta.dataSkippingStatsColumns": "trade_time",
                                                 "delta.appendOnly": "true"}


def test_a_table_property_without_the_delta_prefix_is_refused_with_the_fix(registry):
    with pytest.raises(ConfigError, match=r"checkpointInterval.*'delta.<name>'"):
        parse_pipeline({"sinks": [{"name": "delta", "table_properties": {"checkpointInterval": "5"}}]}, registry,
                       environ={})
