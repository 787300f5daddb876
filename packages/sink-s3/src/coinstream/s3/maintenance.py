"""Moved to :mod:`coinstream.lake.maintenance` (coinstream-lake, no JVM); this module keeps the old import working,
through coinstream-lake's public API."""

from coinstream.lake import DEFAULT_RETENTION_HOURS, DEFAULT_ZORDER, MaintenanceResult, history, optimize, vacuum

__all__ = ["DEFAULT_RETENTION_HOURS", "DEFAULT_ZORDER", "MaintenanceResult", "history", "optimize", "vacuum"]
