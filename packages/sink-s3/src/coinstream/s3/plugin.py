"""coinstream-sink-s3's plugin: the ``delta`` and ``csv`` Spark sinks, registered through core's hooks like
anyone's. The [s3] section they read and ``coinstream delta`` come from coinstream-lake's plugin."""

from __future__ import annotations

from coinstream.core import ComponentRegistrar, hookimpl

ENGINE = "spark"


@hookimpl
def register_sinks(register: ComponentRegistrar) -> None:
    """Register the ``delta`` and ``csv`` Spark sinks (imported lazily: no pyspark import at CLI start)."""
    from coinstream.s3.sinks.csv import CsvSink, CsvSinkSettings
    from coinstream.s3.sinks.delta import DeltaSink, DeltaSinkSettings

    register("delta", DeltaSink, engine=ENGINE, settings=DeltaSinkSettings,
             description="a stream into a Delta table on S3 or a folder, exactly once (append, or MERGE for "
                         "aggregates)")
    register("csv", CsvSink, engine=ENGINE, settings=CsvSinkSettings,
             description="trades as CSV files (the reference's six columns) on S3 or in a folder")
