"""The version of coinstream-core (the single source hatch reads)."""

__version__ = "0.1.2"
