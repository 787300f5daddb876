"""The version of coinstream-lake (the single source hatch reads)."""

__version__ = "0.1.0"
