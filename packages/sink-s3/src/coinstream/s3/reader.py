"""Moved to :mod:`coinstream.lake.reader` (coinstream-lake, no JVM); this module keeps the old import working,
through coinstream-lake's public API."""

from coinstream.lake import Filters, LakeReader, storage_options

__all__ = ["Filters", "LakeReader", "storage_options"]
