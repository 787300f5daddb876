"""The CLI's logging set-up: structlog and stdlib logging, redacted, JSON or console.

Only the CLI calls :func:`configure_logging`; library modules just call
``structlog.get_logger(__name__)``.
"""

from __future__ import annotations

import logging
import sys
from typing import Literal, TextIO

import structlog

from coinstream.core.logs.redaction import redact_event_dict, redact_text

LogFormat = Literal["auto", "json", "console"]

# Chatty third-party loggers that drown a pipeline's own events at INFO.
QUIET_LOGGERS = ("py4j", "py4j.clientserver", "botocore", "boto3", "urllib3", "s3transfer",
                 "asyncio", "websockets", "aiohttp.access", "pyspark",
                 # the schema registry client logs every HTTP request at INFO
                 "httpx", "httpcore")


def _renderer(fmt: LogFormat, stream: TextIO) -> structlog.types.Processor:
    use_console = fmt == "console" or (fmt == "auto" and stream.isatty())
    if use_console:
        return structlog.dev.ConsoleRenderer(colors=stream.isatty())
    return structlog.processors.JSONRenderer()


def configure_logging(level: str = "info", fmt: LogFormat = "auto", stream: TextIO | None = None) -> None:
    """Configure structlog and the stdlib root logger once, for the CLI.

    Every event passes the redaction processor after exceptions are rendered, and stdlib
    records (from Kafka, Spark's py4j, botocore...) go through a redacting formatter, so a
    secret cannot reach the output through either path.
    """
    stream = stream or sys.stderr
    numeric_level = logging.getLevelName(level.upper())
    if not isinstance(numeric_level, int):
        raise ValueError(f"logging.level={level!r} is not a level; use debug, info, warning or error")

    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        structlog.processors.UnicodeDecoder(),
        redact_event_dict,
    ]
    structlog.configure(
        processors=[structlog.stdlib.filter_by_level, *shared,
                    structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )

    formatter = _RedactingProcessorFormatter(
        processor=_renderer(fmt, stream),
        foreign_pre_chain=[structlog.stdlib.ExtraAdder(), *shared],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(numeric_level)
    logging.captureWarnings(True)  # warnings (a plugin that failed to load) become log records
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(numeric_level, logging.WARNING))


class _RedactingProcessorFormatter(structlog.stdlib.ProcessorFormatter):
    """ProcessorFormatter whose final line is scrubbed once more (stdlib messages and args)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_text(super().format(record))
