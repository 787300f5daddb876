"""Moved to :mod:`coinstream.lake.settings` (coinstream-lake, no JVM); this module keeps the old import working,
through coinstream-lake's public API."""

from coinstream.lake import S3Settings

__all__ = ["S3Settings"]
