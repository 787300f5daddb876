"""The version of coinstream-dashboard (the single source hatch reads)."""

__version__ = "0.2.0"
