"""``exchange_stats``: per exchange and event-time window, trade count, notional and distinct tickers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from coinstream.core import ComponentContext
from coinstream.spark.api import EXCHANGE_STATS, TransformOutput, TransformSettings
from coinstream.spark.intervals import Interval, spark_interval

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

KEYS = ("window_start", "exchange")


class ExchangeStatsSettings(TransformSettings):
    """[[transforms]] name = "exchange_stats"."""

    output: str | None = Field(EXCHANGE_STATS, pattern=r"^[a-z][a-z0-9_]*$",
                               description="Named stream of the statistics.")
    window: Interval = Field("1 minute", description="Window length (tumbling, on trade_time).")
    watermark: Interval | None = Field(None, description=(
        "Event-time watermark to set here; leave unset to use the one deduplicate set upstream."))


class ExchangeStats:
    """Rows per (window, exchange): ``trade_count``, ``notional`` (sum of price x size, in each
    trade's quote currency, so only comparable within one quote) and ``distinct_tickers``.

    Exact distinct counts are not supported in streaming aggregations; the set of tickers per
    window is small, so it is collected and counted. Keys: window_start, exchange.
    """

    def __init__(self, settings: ExchangeStatsSettings, context: ComponentContext) -> None:
        self.settings = settings

    def __call__(self, frame: DataFrame) -> TransformOutput:
        """Return the statistics stream (a streaming aggregation)."""
        from pyspark.sql import functions as F

        if self.settings.watermark:
            frame = frame.withWatermark("trade_time", spark_interval(self.settings.watermark))
        stats = (frame.groupBy(F.window("trade_time", spark_interval(self.settings.window)), "exchange")
                 .agg(F.count(F.lit(1)).alias("trade_count"),
                      F.sum(F.col("price") * F.col("size")).alias("notional"),
                      F.collect_set("ticker").alias("_tickers")))
        stats = stats.select(F.col("window.start").alias("window_start"), F.col("window.end").alias("window_end"),
                             "exchange", "trade_count", "notional", F.size("_tickers").alias("distinct_tickers"))
        return TransformOutput(frame=stats, keys=KEYS, aggregated=True)
