"""Moved to :mod:`coinstream.lake.reader` (coinstream-lake, no JVM); this module keeps the old import working."""

from coinstream.lake.reader import Filters, LakeReader, storage_options

__all__ = ["Filters", "LakeReader", "storage_options"]
