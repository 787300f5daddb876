"""coinstream-spark-transforms: the Spark processor and its built-in transforms."""

from coinstream.spark.__about__ import __version__
from coinstream.spark.settings import SparkSettings

__all__ = ["SparkSettings", "__version__"]
