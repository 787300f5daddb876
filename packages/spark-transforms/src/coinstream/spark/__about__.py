"""The version of coinstream-spark-transforms (the single source hatch reads)."""

__version__ = "0.1.1"
