"""Moved to :mod:`coinstream.lake.cli` (coinstream-lake, no JVM); this module keeps the old import working,
through coinstream-lake's public API."""

from coinstream.lake import EXIT_CONFIG_ERROR, EXIT_FAILED, delta_command

__all__ = ["EXIT_CONFIG_ERROR", "EXIT_FAILED", "delta_command"]
