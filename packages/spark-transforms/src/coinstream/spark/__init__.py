"""coinstream-spark-transforms: the Spark processor, its plugin API and its built-in transforms.

Other packages (the Delta sinks of coinstream-sink-s3, the devstack's jar fetch) use the names below,
and only those; importing them loads no pyspark.
"""

from coinstream.spark.__about__ import __version__
from coinstream.spark.api import (
    EXCHANGE_STATS,
    FEED_GAPS,
    LATE_TRADES,
    OHLCV_1M,
    QUARANTINE,
    RECHECK,
    TRADES,
    BatchReporter,
    Sink,
    SinkContext,
    SinkSettings,
    Transform,
    TransformOutput,
    TransformSettings,
    Trigger,
)
from coinstream.spark.jars import (
    JAR_PROVIDERS,
    JarCoordinates,
    SparkJarsError,
    drop_bundled,
    installed_coordinates,
    listed_jars,
    pyspark_jars_dir,
)
from coinstream.spark.settings import SparkSettings

__all__ = [
    "EXCHANGE_STATS",
    "FEED_GAPS",
    "JAR_PROVIDERS",
    "LATE_TRADES",
    "OHLCV_1M",
    "QUARANTINE",
    "RECHECK",
    "TRADES",
    "BatchReporter",
    "JarCoordinates",
    "Sink",
    "SinkContext",
    "SinkSettings",
    "SparkJarsError",
    "SparkSettings",
    "Transform",
    "TransformOutput",
    "TransformSettings",
    "Trigger",
    "__version__",
    "drop_bundled",
    "installed_coordinates",
    "listed_jars",
    "pyspark_jars_dir",
]
