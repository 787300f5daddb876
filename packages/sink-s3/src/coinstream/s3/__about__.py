"""The version of coinstream-sink-s3 (the single source hatch reads)."""

__version__ = "0.1.1"
