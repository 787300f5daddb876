"""The pipelines of the processor and Delta tests, as their TOML would parse."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from coinstream.core import KafkaSettings

if TYPE_CHECKING:  # the processor tests run without coinstream-lake
    from coinstream.lake import S3Settings

# validate -> deduplicate -> enrich, then both aggregations: every built-in transform, in the documented order.
FULL_TRANSFORMS = [
    {"name": "validate"},
    {"name": "deduplicate", "watermark": "10 minutes"},
    {"name": "enrich"},
    {"name": "ohlcv"},             # trades -> ohlcv_1m
    {"name": "exchange_stats"},    # trades -> exchange_stats
]


def pipeline_document(name: str, kafka: KafkaSettings, s3: S3Settings | None, checkpoints: Path,
                      transforms: list[dict[str, Any]], sinks: list[dict[str, Any]],
                      spark_settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """A pipeline as its TOML would parse (also written out as TOML for subprocess runs)."""
    document: dict[str, Any] = {
        "pipeline": {"name": name},
        "kafka": kafka.model_dump(mode="json", exclude_none=True),
        "spark": {"master": "local[2]", "checkpoint_location": str(checkpoints), **(spark_settings or {})},
        "transforms": transforms,
        "sinks": sinks,
    }
    if s3 is not None:
        document["s3"] = s3.model_dump(mode="json", exclude_none=True)
    return document
