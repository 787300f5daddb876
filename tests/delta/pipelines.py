"""Pipeline documents for the Delta tests, as their TOML would parse."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from coinstream.core import KafkaSettings
from coinstream.lake.settings import S3Settings


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
