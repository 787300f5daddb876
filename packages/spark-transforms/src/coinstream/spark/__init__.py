"""coinstream-spark-transforms: the Spark processor, its plugin API and its built-in transforms."""

from coinstream.spark.__about__ import __version__
from coinstream.spark.api import (
    EXCHANGE_STATS,
    FEED_GAPS,
    LATE_TRADES,
    OHLCV_1M,
    QUARANTINE,
    TRADES,
    Sink,
    SinkContext,
    SinkSettings,
    Transform,
    TransformOutput,
    TransformSettings,
    Trigger,
)
from coinstream.spark.settings import SparkSettings

__all__ = [
    "EXCHANGE_STATS",
    "FEED_GAPS",
    "LATE_TRADES",
    "OHLCV_1M",
    "QUARANTINE",
    "TRADES",
    "Sink",
    "SinkContext",
    "SinkSettings",
    "SparkSettings",
    "Transform",
    "TransformOutput",
    "TransformSettings",
    "Trigger",
    "__version__",
]
