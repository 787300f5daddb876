"""coinstream-core: the public API that plugins build on.

Core's public API is this module and ``coinstream.core.kafka`` (Kafka plumbing); every other module
of core is internal. Plugins reach coinstream only through the hooks in :mod:`coinstream.core.hookspecs`.
The ingestor (``Ingestor``, ``IngestOptions``, ``IngestReport``) and the CLI entry point (``cli_main``)
are exported lazily (:func:`lazy_exports`): importing ``coinstream.core`` happens on every ``coinstream``
call and does not import them.
"""

from typing import TYPE_CHECKING

from coinstream.core.__about__ import __version__
from coinstream.core.cli.output import echo_error
from coinstream.core.config import (
    INGEST_COMPONENTS,
    ComponentSpec,
    ConfigError,
    ConfigProblem,
    KafkaSettings,
    PipelineConfig,
    StrictModel,
    env_override,
    load_pipeline,
    parse_pipeline,
)
from coinstream.core.context import ComponentContext, SourceContext
from coinstream.core.exports import lazy_exports
from coinstream.core.hookspecs import hookimpl
from coinstream.core.lifecycle import LifecycleHooks, Role
from coinstream.core.logs import redact, redact_text, register_secret
from coinstream.core.metrics import BatchMetrics
from coinstream.core.pipeline import ConfiguredComponent, Pipeline
from coinstream.core.plugins import PluginHost
from coinstream.core.records import (
    DeadLetter,
    FeedGap,
    Trade,
    derive_gap_id,
    derive_trade_id,
    feed_gap_schema_str,
    load_feed_gap_schema,
    load_trade_schema,
    trade_schema_str,
)
from coinstream.core.registry import (
    CommandRegistrar,
    Component,
    ComponentRegistrar,
    NoSettings,
    Provider,
    Registry,
    RegistryError,
    SectionRegistrar,
)
from coinstream.core.source import Source, SourceFatalError, SourceRecord, SourceStats
from coinstream.core.unreachable import (
    EXIT_SERVICE_UNREACHABLE,
    STACK_UP_HINT,
    UNREACHABLE_MARKER,
    ServiceUnreachableError,
)

if TYPE_CHECKING:
    from coinstream.core.cli.main import main as cli_main
    from coinstream.core.ingest import IngestOptions, Ingestor, IngestReport

__getattr__ = lazy_exports(__name__, {
    "IngestOptions": "coinstream.core.ingest", "IngestReport": "coinstream.core.ingest",
    "Ingestor": "coinstream.core.ingest", "cli_main": "coinstream.core.cli.main:main",
})

__all__ = [
    "EXIT_SERVICE_UNREACHABLE",
    "INGEST_COMPONENTS",
    "BatchMetrics",
    "CommandRegistrar",
    "Component",
    "ComponentContext",
    "ComponentRegistrar",
    "ComponentSpec",
    "ConfigError",
    "ConfigProblem",
    "ConfiguredComponent",
    "DeadLetter",
    "FeedGap",
    "IngestOptions",
    "IngestReport",
    "Ingestor",
    "KafkaSettings",
    "LifecycleHooks",
    "NoSettings",
    "Pipeline",
    "PipelineConfig",
    "PluginHost",
    "Provider",
    "Registry",
    "RegistryError",
    "Role",
    "STACK_UP_HINT",
    "SectionRegistrar",
    "ServiceUnreachableError",
    "Source",
    "SourceContext",
    "SourceFatalError",
    "SourceRecord",
    "SourceStats",
    "StrictModel",
    "Trade",
    "UNREACHABLE_MARKER",
    "__version__",
    "cli_main",
    "derive_gap_id",
    "derive_trade_id",
    "echo_error",
    "env_override",
    "feed_gap_schema_str",
    "hookimpl",
    "lazy_exports",
    "load_feed_gap_schema",
    "load_pipeline",
    "load_trade_schema",
    "parse_pipeline",
    "redact",
    "redact_text",
    "register_secret",
    "trade_schema_str",
]
