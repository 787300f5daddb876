"""What the CLI prints outside the log: errors, on stderr, scrubbed like every log line."""

from __future__ import annotations

import click

from coinstream.core.logs.redaction import redact_text


def echo_error(error: BaseException | str) -> None:
    """Print ``error: <message>`` on stderr with secrets redacted (an error may quote a setting's value)."""
    click.echo(f"error: {redact_text(str(error))}", err=True)
