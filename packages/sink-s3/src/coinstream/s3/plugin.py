"""coinstream-sink-s3's plugin: the [s3] section, the ``delta`` and ``csv`` sinks and ``coinstream delta``,
registered through core's hooks like anyone's."""

from __future__ import annotations

from coinstream.core import CommandRegistrar, ComponentRegistrar, SectionRegistrar, hookimpl
from coinstream.s3.settings import S3Settings

ENGINE = "spark"


@hookimpl
def register_config_sections(register: SectionRegistrar) -> None:
    """Register the [s3] section (endpoint, bucket, region, addressing); the sinks read it from their context."""
    register("s3", S3Settings)


@hookimpl
def register_sinks(register: ComponentRegistrar) -> None:
    """Register the ``delta`` and ``csv`` Spark sinks (imported lazily: no pyspark import at CLI start)."""
    from coinstream.s3.sinks.csv import CsvSink, CsvSinkSettings
    from coinstream.s3.sinks.delta import DeltaSink, DeltaSinkSettings

    register("delta", DeltaSink, engine=ENGINE, settings=DeltaSinkSettings,
             description="a stream into a Delta table on S3 or a folder, exactly once (append, or MERGE for aggregates)")
    register("csv", CsvSink, engine=ENGINE, settings=CsvSinkSettings,
             description="trades as CSV files (the reference's six columns) on S3 or in a folder")


@hookimpl
def register_commands(register: CommandRegistrar) -> None:
    """Register ``coinstream delta optimize|vacuum|history``."""
    from coinstream.s3.cli import delta_command

    register(delta_command)
