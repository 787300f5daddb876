"""coinstream-dashboard: the dashboard over the lake's Delta tables."""

from coinstream.dashboard.__about__ import __version__

__all__ = ["__version__"]
