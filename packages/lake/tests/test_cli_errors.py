"""`coinstream delta`'s error lines go through core's redaction, like every line coinstream prints."""

from __future__ import annotations

from click.testing import CliRunner

from coinstream.lake import cli
from coinstream.lake.errors import S3SetupError


def test_a_secret_quoted_in_an_error_is_not_printed(monkeypatch):
    def denied(*_args: object) -> None:
        raise S3SetupError("access denied to bucket lake with AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG; "
                           "check the [s3] credentials")

    monkeypatch.setattr(cli, "history", denied)
    result = CliRunner().invoke(cli.delta_command, ["history", "trades"])
    assert result.exit_code == cli.EXIT_FAILED
    assert result.stderr == ("error: access denied to bucket lake with AWS_SECRET_ACCESS_KEY=***; "
                             "check the [s3] credentials\n")
