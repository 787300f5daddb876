"""The version of coinstream-devstack (the single source hatch reads)."""

__version__ = "0.1.0"
