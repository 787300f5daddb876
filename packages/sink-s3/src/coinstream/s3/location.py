"""Moved to :mod:`coinstream.lake.location` (coinstream-lake, no JVM); this module keeps the old import working,
through coinstream-lake's public API."""

from coinstream.lake import TableLocation, parse_location, table_location

__all__ = ["TableLocation", "parse_location", "table_location"]
