"""What the pipeline TOML accepts and refuses for the processor, and the stream graph it describes."""

from __future__ import annotations

import tomllib

import pytest

from coinstream.core import ConfigError, parse_pipeline
from coinstream.spark.settings import SparkSettings
from coinstream.spark.streams import PipelineGraphError, plan_streams
from coinstream.spark.transforms.ohlcv import OhlcvSettings

FULL = """
[pipeline]
name = "demo"

[spark]
master = "local[2]"
trigger_interval = "2 seconds"
max_offsets_per_trigger = 100000
checkpoint_location = "s3a://coinstream/_checkpoints"

[[transforms]]
name = "validate"

[[transforms]]
name = "deduplicate"
watermark = "10 minutes"

[[transforms]]
name = "enrich"

[[transforms]]
name = "ohlcv"

[[transforms]]
name = "exchange_stats"

[[sinks]]
name = "console"
input = "ohlcv_1m"
output_mode = "update"

[[sinks]]
name = "memory"
input = "quarantine"
"""


def test_the_full_pipeline_loads_with_routes_in_file_order(host):
    pipeline = parse_pipeline(tomllib.loads(FULL), host.registry)

    settings = pipeline.section("spark")
    assert isinstance(settings, SparkSettings)
    assert (settings.master, settings.max_offsets_per_trigger) == ("local[2]", 100000)
    routes = plan_streams(pipeline.transforms, pipeline.sinks)
    assert [(r.name, r.input, r.output) for r in routes] == [
        ("validate", "trades", "trades"), ("deduplicate", "trades", "trades"), ("enrich", "trades", "trades"),
        ("ohlcv", "trades", "ohlcv_1m"), ("exchange_stats", "trades", "exchange_stats")]
    assert isinstance(pipeline.transforms[3].settings, OhlcvSettings)
    assert pipeline.transforms[3].settings.window == "1 minute"


def test_a_sink_reading_a_stream_nothing_produces_is_refused_with_the_choices(host):
    raw = tomllib.loads(FULL)
    raw["transforms"] = [t for t in raw["transforms"] if t["name"] != "ohlcv"]
    pipeline = parse_pipeline(raw, host.registry)

    with pytest.raises(PipelineGraphError) as error:
        plan_streams(pipeline.transforms, pipeline.sinks)
    assert str(error.value) == (
        "sinks[0] (console) writes stream 'ohlcv_1m', which no transform produces (streams: exchange_stats, "
        "feed_gaps, late_trades, quarantine, trades); add the transform that writes it or fix input")


def test_a_transform_reading_a_later_stream_is_refused(host):
    raw = tomllib.loads(FULL)
    raw["transforms"].insert(0, {"name": "enrich", "input": "ohlcv_1m", "output": "bars_enriched"})
    pipeline = parse_pipeline(raw, host.registry)

    with pytest.raises(PipelineGraphError) as error:
        plan_streams(pipeline.transforms, pipeline.sinks)
    assert "transforms[0] (enrich) reads stream 'ohlcv_1m', which no earlier step produces" in str(error.value)


@pytest.mark.parametrize(("stream", "kept_for"), [("quarantine", "rejected rows"),
                                                   ("late_trades", "trades later than the watermark"),
                                                   ("feed_gaps", "the feed's recorded gaps")])
def test_writing_into_a_side_stream_is_refused(host, stream, kept_for):
    raw = tomllib.loads(FULL)
    raw["transforms"].append({"name": "enrich", "output": stream})
    pipeline = parse_pipeline(raw, host.registry)

    with pytest.raises(PipelineGraphError, match=f"writes to '{stream}', which is reserved for {kept_for}"):
        plan_streams(pipeline.transforms, pipeline.sinks)


def test_a_sink_can_write_the_late_trades_stream(host):
    raw = tomllib.loads(FULL)
    raw["sinks"].append({"name": "console", "input": "late_trades"})
    pipeline = parse_pipeline(raw, host.registry)

    assert [route.output for route in plan_streams(pipeline.transforms, pipeline.sinks)] == [
        "trades", "trades", "trades", "ohlcv_1m", "exchange_stats"]


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("watermark", "ten minutes", "'ten minutes' is not an interval"),
    ("keys", [], "at least 1 item"),
    ("watermarks", "1 minute", "unknown key"),
])
def test_bad_transform_settings_fail_at_load_naming_the_key(host, key, value, expected):
    raw = tomllib.loads(FULL)
    raw["transforms"][1][key] = value

    with pytest.raises(ConfigError) as error:
        parse_pipeline(raw, host.registry)
    assert f"transforms[1].{key}" in str(error.value)
    assert expected in str(error.value)


def test_spark_connect_and_a_master_together_are_refused(host):
    raw = tomllib.loads(FULL)
    raw["spark"]["connect_url"] = "sc://spark:15002"

    with pytest.raises(ConfigError, match="a Spark Connect session has its master on the server"):
        parse_pipeline(raw, host.registry)


def test_on_undecodable_is_quarantine_by_default_and_refuses_other_values():
    assert SparkSettings().on_undecodable == "quarantine"
    assert SparkSettings(on_undecodable="stop").on_undecodable == "stop"
    with pytest.raises(ValueError) as failure:
        SparkSettings(on_undecodable="skip")
    assert "on_undecodable" in str(failure.value) and "'quarantine' or 'stop'" in str(failure.value)
