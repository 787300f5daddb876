"""coinstream-sink-s3's plugin: what it registers with coinstream-core."""

from __future__ import annotations

from coinstream.core import SectionRegistrar, hookimpl
from coinstream.s3.settings import S3Settings


@hookimpl
def register_config_sections(register: SectionRegistrar) -> None:
    """Register the [s3] section (endpoint, bucket, region, addressing)."""
    register("s3", S3Settings)
