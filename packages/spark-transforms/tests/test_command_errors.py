"""`coinstream process`'s error lines go through core's redaction, like every line coinstream prints."""

from __future__ import annotations

from click.testing import CliRunner

from coinstream.core import ConfigError, ConfigProblem
from coinstream.spark import command


def test_a_secret_quoted_in_a_config_error_is_not_printed(monkeypatch, tmp_path):
    def invalid(*_args: object) -> None:
        raise ConfigError("pipeline.toml", [ConfigProblem(
            "kafka.producer", "unknown librdkafka property in {'sasl.password': 'hunter2hunter2', 'acks': 'all'}")])

    monkeypatch.setattr(command, "load_pipeline", invalid)
    result = CliRunner().invoke(command.process_command, [str(tmp_path / "pipeline.toml")])
    assert result.exit_code == command.EXIT_CONFIG_ERROR
    assert "hunter2hunter2" not in result.stderr
    assert "{'sasl.password': '***', 'acks': 'all'}" in result.stderr
