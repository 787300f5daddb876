"""Moved to :mod:`coinstream.lake.errors` (coinstream-lake, no JVM); this module keeps the old import working,
through coinstream-lake's public API."""

from coinstream.lake import S3SetupError, TableLocationError, TableNotFoundError

__all__ = ["S3SetupError", "TableLocationError", "TableNotFoundError"]
