"""coinstream-spark-transforms' plugin: the [spark] section, ``coinstream process``, the built-in
transforms and the development sinks, all registered through core's hooks like anyone's."""

from __future__ import annotations

from coinstream.core import CommandRegistrar, ComponentRegistrar, SectionRegistrar, hookimpl
from coinstream.spark.api import ENGINE
from coinstream.spark.settings import SparkSettings
from coinstream.spark.sinks.console import ConsoleSink, ConsoleSinkSettings
from coinstream.spark.sinks.memory import MemorySink, MemorySinkSettings
from coinstream.spark.transforms.deduplicate import Deduplicate, DeduplicateSettings
from coinstream.spark.transforms.enrich import Enrich, EnrichSettings
from coinstream.spark.transforms.exchange_stats import ExchangeStats, ExchangeStatsSettings
from coinstream.spark.transforms.ohlcv import Ohlcv, OhlcvSettings
from coinstream.spark.transforms.validate import Validate, ValidateSettings


@hookimpl
def register_config_sections(register: SectionRegistrar) -> None:
    """Register the [spark] section (master, triggers, checkpoint)."""
    register("spark", SparkSettings)


@hookimpl
def register_transforms(register: ComponentRegistrar) -> None:
    """Register the built-in Spark transforms (validate, deduplicate, enrich, ohlcv, exchange_stats)."""
    register("validate", Validate, engine=ENGINE, settings=ValidateSettings,
             description="positive price/size, well-formed ticker/exchange, sane trade_time; bad rows to quarantine")
    register("deduplicate", Deduplicate, engine=ENGINE, settings=DeduplicateSettings,
             description="drop repeated trade_id within the event-time watermark (sets the watermark)")
    register("enrich", Enrich, engine=ENGINE, settings=EnrichSettings,
             description="base/quote currencies, notional, ingest latency, trade_date")
    register("ohlcv", Ohlcv, engine=ENGINE, settings=OhlcvSettings,
             description="1-minute OHLCV, volume, VWAP, trade count per ticker and exchange -> ohlcv_1m")
    register("exchange_stats", ExchangeStats, engine=ENGINE, settings=ExchangeStatsSettings,
             description="trade count, notional, distinct tickers per exchange and window -> exchange_stats")


@hookimpl
def register_sinks(register: ComponentRegistrar) -> None:
    """Register the development sinks (console, memory); Delta lives in coinstream-sink-s3."""
    register("console", ConsoleSink, engine=ENGINE, settings=ConsoleSinkSettings,
             description="print each micro-batch (development)")
    register("memory", MemorySink, engine=ENGINE, settings=MemorySinkSettings,
             description="keep rows in the driver per micro-batch, idempotently (tests, notebooks)")


@hookimpl
def register_commands(register: CommandRegistrar) -> None:
    """Register ``coinstream process``."""
    from coinstream.spark.command import process_command

    register(process_command)
