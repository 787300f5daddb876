"""Moved to :mod:`coinstream.lake.settings` (coinstream-lake, no JVM); this module keeps the old import working."""

from coinstream.lake.settings import S3Settings

__all__ = ["S3Settings"]
