"""Logging: a redaction processor for secrets, and the CLI's one-time set-up."""

from coinstream.core.logs.redaction import (
    REDACTED,
    RedactingFormatter,
    is_secret_key,
    redact,
    redact_event_dict,
    redact_text,
    register_secret,
)
from coinstream.core.logs.setup import configure_logging

__all__ = [
    "REDACTED",
    "RedactingFormatter",
    "configure_logging",
    "is_secret_key",
    "redact",
    "redact_event_dict",
    "redact_text",
    "register_secret",
]
