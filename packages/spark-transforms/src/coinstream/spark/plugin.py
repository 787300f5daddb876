"""coinstream-spark-transforms' plugin: what it registers with coinstream-core."""

from __future__ import annotations

from coinstream.core import SectionRegistrar, hookimpl
from coinstream.spark.settings import SparkSettings


@hookimpl
def register_config_sections(register: SectionRegistrar) -> None:
    """Register the [spark] section (master, triggers, checkpoint)."""
    register("spark", SparkSettings)
