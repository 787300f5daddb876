"""The settings model, its environment binding, and the plugin's registrations."""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest
from coinstream.core import PluginHost, Provider, parse_pipeline, redact_text
from coinstream.tiingo import TiingoSettings, TiingoSource, plugin
from coinstream.tiingo.settings import SIMULATOR_URL
from pydantic import SecretStr, ValidationError


def host() -> PluginHost:
    return PluginHost(autoload=False, plugins=[(plugin, Provider("coinstream-source-tiingo", "0.1.0"))])


def test_defaults_point_at_the_local_simulator() -> None:
    settings = TiingoSettings()
    assert (settings.url, settings.rest_url, settings.threshold_level, settings.tickers) == (
        SIMULATOR_URL, "http://127.0.0.1:18765", 5, ["*"])
    assert settings.firehose


def test_unknown_keys_and_bad_combinations_are_errors_that_say_what_to_do() -> None:
    with pytest.raises(ValidationError, match="extra"):
        TiingoSettings.model_validate({"tresholdLevel": 5})
    with pytest.raises(ValidationError, match="needs threshold_level = 2"):
        TiingoSettings(include_quotes=True)
    with pytest.raises(ValidationError, match="COINSTREAM_TIINGO_API_KEY"):
        TiingoSettings(url="wss://api.tiingo.com/crypto")
    with pytest.raises(ValidationError, match='mixes "\\*"'):
        TiingoSettings(tickers=["*", "btcusd"])
    with pytest.raises(ValidationError, match="'BTC-USD' is not a Tiingo ticker"):
        TiingoSettings(tickers=["BTC-USD"])
    assert TiingoSettings(url="wss://api.tiingo.com/crypto", api_key=SecretStr("k" * 8)).api_key_text() == "k" * 8


def test_plugin_registers_the_source_and_the_simulate_command() -> None:
    registry = host().registry
    component = registry.component("source", "tiingo")
    assert component is not None
    assert component.settings_model is TiingoSettings
    assert component.provider.distribution == "coinstream-source-tiingo"
    command = registry.command("simulate")
    assert command is not None and command.command.name == "simulate"


def test_entry_point_is_published() -> None:
    found = {ep.name: ep.value for ep in entry_points(group="coinstream")}
    assert found.get("tiingo") == "coinstream.tiingo.plugin"


def test_api_key_comes_from_the_environment_and_is_registered_as_a_secret() -> None:
    key = "env-key-5f3a9c"
    pipeline = parse_pipeline({"source": {"name": "tiingo", "tickers": ["btcusd"]}}, host().registry,
                              environ={"COINSTREAM_TIINGO_API_KEY": key})
    assert pipeline.source is not None
    settings = pipeline.source.settings
    assert isinstance(settings, TiingoSettings)
    assert settings.api_key_text() == key and settings.tickers == ["btcusd"]
    source = pipeline.build(pipeline.source)
    assert isinstance(source, TiingoSource)
    assert source.context is not None and (source.context.name, source.context.key) == ("tiingo", "source")
    assert redact_text(f"the key is {key}") == "the key is ***"


def test_frame_size_and_recording_sync_settings_reach_the_decoder_and_the_recorder(tmp_path) -> None:
    settings = TiingoSettings()
    assert (settings.max_frame_bytes, settings.record_sync_interval_ms) == (1_048_576, 1_000)
    with pytest.raises(ValidationError, match="max_frame_bytes\n  Input should be less than or equal to 4194304"):
        TiingoSettings(max_frame_bytes=5 * 1024 * 1024)
    source = TiingoSource(TiingoSettings(max_frame_bytes=2_048, record=str(tmp_path / "r.jsonl"),
                                         record_sync_interval_ms=0))
    assert source.decoder.max_frame_bytes == 2_048
    assert source.recorder is not None and source.recorder.sync_interval_s == 0
    source.recorder.close()
