"""Pipeline configuration: one TOML file, environment overrides, validation at start-up."""

from coinstream.core.config.env import env_override
from coinstream.core.config.errors import ConfigError, ConfigProblem
from coinstream.core.config.loader import ALL_COMPONENTS, INGEST_COMPONENTS, load_pipeline, parse_pipeline
from coinstream.core.config.models import (
    ComponentSpec,
    IngestSettings,
    KafkaSettings,
    LoggingSettings,
    PipelineConfig,
    PipelineMeta,
    StrictModel,
)

__all__ = [
    "ALL_COMPONENTS",
    "INGEST_COMPONENTS",
    "ComponentSpec",
    "ConfigError",
    "ConfigProblem",
    "IngestSettings",
    "KafkaSettings",
    "LoggingSettings",
    "PipelineConfig",
    "PipelineMeta",
    "StrictModel",
    "env_override",
    "load_pipeline",
    "parse_pipeline",
]
