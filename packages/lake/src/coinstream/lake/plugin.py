"""coinstream-lake's plugin: the [s3] section and ``coinstream delta``, registered through core's hooks
like anyone's. The Spark sinks (coinstream-sink-s3) read the same [s3] section."""

from __future__ import annotations

from coinstream.core import CommandRegistrar, SectionRegistrar, hookimpl
from coinstream.lake.settings import S3Settings


@hookimpl
def register_config_sections(register: SectionRegistrar) -> None:
    """Called when the registry is built: registers the [s3] section (endpoint, bucket, region, addressing)."""
    register("s3", S3Settings)


@hookimpl
def register_commands(register: CommandRegistrar) -> None:
    """Called when the CLI starts: registers ``coinstream delta optimize|vacuum|history`` (delta-rs, no JVM)."""
    from coinstream.lake.cli import delta_command

    register(delta_command)
