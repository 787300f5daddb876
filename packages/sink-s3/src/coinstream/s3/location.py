"""Moved to :mod:`coinstream.lake.location` (coinstream-lake, no JVM); this module keeps the old import working."""

from coinstream.lake.location import TableLocation, parse_location, table_location

__all__ = ["TableLocation", "parse_location", "table_location"]
