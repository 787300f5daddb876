"""Every configuration error path, checked on the message a user sees."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import Field, SecretStr

from coinstream.core import ConfigError, PluginHost, Provider, StrictModel, env_override, hookimpl, load_pipeline
from coinstream.core.cli.main import main
from coinstream.core.config import INGEST_COMPONENTS
from coinstream.core.logs import redact_text


class FeedSettings(StrictModel):
    url: str
    api_key: SecretStr | None = Field(None, json_schema_extra=env_override("COINSTREAM_TEST_FEED_API_KEY"))
    batch_size: int = Field(100, ge=1, json_schema_extra=env_override("COINSTREAM_TEST_FEED_BATCH_SIZE"))


class EngineSettings(StrictModel):
    master: str = "local[2]"
    cores: int = 2


class TestPlugin:
    """A plugin object registered directly, as tests may do with autoload off."""

    @hookimpl
    def register_sources(self, register):
        register("feed", lambda settings, context: settings, settings=FeedSettings)

    @hookimpl
    def register_transforms(self, register):
        register("validate", lambda settings, context: settings)
        register("deduplicate", lambda settings, context: settings)

    @hookimpl
    def register_config_sections(self, register):
        register("engine", EngineSettings)


@pytest.fixture
def registry():
    return PluginHost(autoload=False, plugins=[(TestPlugin(), Provider("test-plugin", "0.0.1"))]).registry


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pipeline.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path, registry, environ=None) -> str:
    with pytest.raises(ConfigError) as raised:
        load_pipeline(path, registry, environ=environ or {})
    return str(raised.value)


def test_a_valid_file_loads_with_defaults_components_and_sections(tmp_path, registry):
    path = write(tmp_path, """
[pipeline]
name = "prod"
[kafka]
replication_factor = 3
[engine]
cores = 8
[source]
name = "feed"
url = "wss://feed.example/crypto"
[[transforms]]
name = "validate"
[[transforms]]
name = "deduplicate"
""")
    pipeline = load_pipeline(path, registry, environ={})

    assert pipeline.name == "prod"
    assert pipeline.config.kafka.min_insync_replicas == 2
    assert pipeline.config.kafka.trades_topic == "crypto.trades.v1"
    assert pipeline.source is not None and pipeline.source.settings.url == "wss://feed.example/crypto"
    assert [t.name for t in pipeline.transforms] == ["validate", "deduplicate"]
    assert pipeline.section("engine").cores == 8


def test_missing_file_says_how_to_get_one(tmp_path, registry):
    message = problems_of(tmp_path / "nope.toml", registry)
    assert "nope.toml: <file>: file not found" in message
    assert "coinstream stack up" in message


def test_toml_syntax_error_names_the_line(tmp_path, registry):
    message = problems_of(write(tmp_path, "[kafka\nbootstrap_servers = 1\n"), registry)
    assert "not valid TOML" in message and "line 1" in message


def test_unknown_section_suggests_the_closest(tmp_path, registry):
    message = problems_of(write(tmp_path, "[kafak]\nbootstrap_servers = 'x:1'\n"), registry)
    assert "pipeline.toml: kafak: unknown section" in message
    assert "did you mean [kafka]?" in message
    assert "engine" in message  # the plugin's section is among the choices


def test_unknown_key_lists_the_valid_keys(tmp_path, registry):
    message = problems_of(write(tmp_path, "[kafka]\nreplication_factr = 3\n"), registry)
    assert "kafka.replication_factr: unknown key" in message
    assert "did you mean 'replication_factor'?" in message
    assert "bootstrap_servers" in message


def test_wrong_type_is_not_coerced_and_shows_the_value(tmp_path, registry):
    message = problems_of(write(tmp_path, '[kafka]\nreplication_factor = "three"\n'), registry)
    assert "kafka.replication_factor: input should be a valid integer, got 'three' (str)" in message
    assert "expected an integer >= 1 and <= 32" in message


def test_a_number_in_quotes_is_still_a_wrong_type(tmp_path, registry):
    message = problems_of(write(tmp_path, '[kafka]\npartitions = "6"\n'), registry)
    assert "kafka.partitions: input should be a valid integer, got '6' (str)" in message


def test_out_of_range_value_is_reported_with_the_bound(tmp_path, registry):
    message = problems_of(write(tmp_path, "[kafka]\npartitions = 0\n"), registry)
    assert "kafka.partitions: input should be greater than or equal to 1, got 0 (int)" in message


def test_min_insync_larger_than_replication_says_the_fix(tmp_path, registry):
    message = problems_of(write(tmp_path, "[kafka]\nreplication_factor = 1\nmin_insync_replicas = 2\n"), registry)
    assert "kafka: min_insync_replicas=2 is larger than replication_factor=1" in message
    assert "set min_insync_replicas to at most replication_factor" in message


def test_missing_required_component_setting_names_the_env_alternative(tmp_path, registry):
    message = problems_of(write(tmp_path, "[source]\nname = 'feed'\n"), registry)
    assert "source.url: required value is missing" in message
    assert "add url to the file" in message


def test_unknown_component_lists_the_installed_choices(tmp_path, registry):
    message = problems_of(write(tmp_path, "[[transforms]]\nname = 'validat'\n"), registry)
    assert "transforms[0].name: no installed plugin registers a transform named 'validat'" in message
    assert "expected one of: deduplicate, validate" in message
    assert "did you mean 'validate'?" in message


def test_a_kind_with_nothing_installed_says_so(tmp_path, registry):
    message = problems_of(write(tmp_path, "[[sinks]]\nname = 'delta'\n"), registry)
    assert "sinks[0].name: no installed plugin registers a sink named 'delta'" in message
    assert "none: no installed plugin registers a sink" in message


def test_transforms_must_be_an_array_of_tables(tmp_path, registry):
    message = problems_of(write(tmp_path, "[transforms]\nname = 'validate'\n"), registry)
    assert "transforms: must be an array of tables, got dict" in message


def test_component_without_a_name(tmp_path, registry):
    message = problems_of(write(tmp_path, "[source]\nurl = 'x'\n"), registry)
    assert "source.name: required value is missing" in message and "expected a source name: feed" in message


def test_every_problem_is_reported_at_once(tmp_path, registry):
    message = problems_of(write(tmp_path, "[kafka]\npartitions = 0\nlinger = 5\n[source]\nname = 'feed'\n"), registry)
    assert "(3 problems)" in message
    assert "kafka.partitions" in message and "kafka.linger" in message and "source.url" in message


def test_environment_overrides_replace_file_values(tmp_path, registry):
    path = write(tmp_path, "[kafka]\nbootstrap_servers = 'file:9092'\n[source]\nname = 'feed'\nurl = 'x'\n")
    environ = {"COINSTREAM_KAFKA_BOOTSTRAP_SERVERS": "env:9092", "COINSTREAM_TEST_FEED_BATCH_SIZE": "500"}

    pipeline = load_pipeline(path, registry, environ=environ)

    assert pipeline.config.kafka.bootstrap_servers == "env:9092"
    assert pipeline.source.settings.batch_size == 500
    assert pipeline.env_overrides == {"kafka.bootstrap_servers": "COINSTREAM_KAFKA_BOOTSTRAP_SERVERS",
                                      "source.batch_size": "COINSTREAM_TEST_FEED_BATCH_SIZE"}


def test_a_bad_environment_value_names_the_variable(tmp_path, registry):
    path = write(tmp_path, "[source]\nname = 'feed'\nurl = 'x'\n")
    message = problems_of(path, registry, environ={"COINSTREAM_TEST_FEED_BATCH_SIZE": "lots"})
    assert "source.batch_size" in message and "got 'lots'" in message
    assert "from environment variable COINSTREAM_TEST_FEED_BATCH_SIZE" in message


def test_a_secret_of_the_wrong_type_is_not_echoed(tmp_path, registry):
    message = problems_of(write(tmp_path, "[source]\nname = 'feed'\nurl = 'x'\napi_key = 123456789\n"), registry)
    assert "source.api_key" in message
    assert "123456789" not in message and "<hidden>" in message


def test_secrets_loaded_from_the_environment_are_redacted_everywhere(tmp_path, registry):
    path = write(tmp_path, "[source]\nname = 'feed'\nurl = 'x'\n")
    pipeline = load_pipeline(path, registry, environ={"COINSTREAM_TEST_FEED_API_KEY": "sk-live-0123456789"})

    assert pipeline.source.settings.api_key.get_secret_value() == "sk-live-0123456789"
    assert "sk-live-0123456789" not in repr(pipeline)
    assert redact_text("connecting with sk-live-0123456789 now") == "connecting with *** now"


def test_plugin_section_errors_carry_the_section_name(tmp_path, registry):
    message = problems_of(write(tmp_path, "[engine]\ncores = 'many'\n"), registry)
    assert "engine.cores: input should be a valid integer, got 'many' (str)" in message


def test_config_check_command_prints_problems_and_exits_2(tmp_path, monkeypatch):
    monkeypatch.setenv("COINSTREAM_DISABLE_PLUGIN_AUTOLOAD", "1")
    path = write(tmp_path, "[kafka]\nreplication_factor = 'three'\n")

    result = CliRunner().invoke(main, ["config", "check", str(path)])

    assert result.exit_code == 2
    assert "kafka.replication_factor: input should be a valid integer, got 'three' (str)" in result.output


def test_config_check_command_accepts_a_valid_file(tmp_path, monkeypatch):
    monkeypatch.setenv("COINSTREAM_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("COINSTREAM_KAFKA_BOOTSTRAP_SERVERS", "broker:9092")
    path = write(tmp_path, "[pipeline]\nname = 'ok'\n")

    result = CliRunner().invoke(main, ["config", "check", str(path)])

    assert result.exit_code == 0, result.output
    assert "pipeline 'ok' is valid" in result.output
    assert "kafka.bootstrap_servers comes from $COINSTREAM_KAFKA_BOOTSTRAP_SERVERS" in result.output


FULL_PIPELINE = """
[pipeline]
name = "prod"
[engine]
cores = 4
[s3]
bucket = "lake"
[source]
name = "feed"
url = "wss://feed.example/crypto"
[[transforms]]
name = "ohlcv"
[[sinks]]
name = "delta"
table = "trades"
"""


def test_the_ingestor_loads_a_full_pipeline_whose_processor_plugins_are_not_installed(tmp_path, registry):
    path = write(tmp_path, FULL_PIPELINE)
    assert "no installed plugin registers a transform named 'ohlcv'" in problems_of(path, registry)

    pipeline = load_pipeline(path, registry, environ={}, components=INGEST_COMPONENTS)

    assert pipeline.source is not None and pipeline.source.settings.url == "wss://feed.example/crypto"
    assert pipeline.transforms == () and pipeline.sinks == ()
    assert pipeline.section("engine").cores == 4          # an installed plugin's section is still checked
    assert pipeline.unchecked == ("transforms", "sinks", "[s3]")


@pytest.mark.parametrize(("text", "expected"), [
    ("[kafak]\nbootstrap_servers = 'x:1'\n", "kafak: unknown section"),        # a misspelling is still one
    ("[source]\nname = 'feed'\n", "source.url: required value is missing"),    # what the ingestor uses
    ("[engine]\ncores = 'four'\n", "engine.cores"),                            # an installed plugin's section
])
def test_what_the_ingestor_uses_is_still_checked(tmp_path, registry, text, expected):
    with pytest.raises(ConfigError) as raised:
        load_pipeline(write(tmp_path, "[pipeline]\nname = 'p'\n" + text), registry, environ={},
                      components=INGEST_COMPONENTS)
    assert expected in str(raised.value)
