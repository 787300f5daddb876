"""``ohlcv``: open/high/low/close, volume, VWAP and trade count per ticker, exchange and event-time window."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from coinstream.core import ComponentContext
from coinstream.spark.api import OHLCV_1M, TransformOutput, TransformSettings
from coinstream.spark.intervals import Interval, spark_interval

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

KEYS = ("window_start", "ticker", "exchange")


class OhlcvSettings(TransformSettings):
    """[[transforms]] name = "ohlcv"."""

    output: str | None = Field(OHLCV_1M, pattern=r"^[a-z][a-z0-9_]*$", description="Named stream of the bars.")
    window: Interval = Field("1 minute", description="Bar length (tumbling event-time windows on trade_time).")
    watermark: Interval | None = Field(None, description=(
        "Event-time watermark to set here; leave unset to use the one deduplicate set upstream."))


class Ohlcv:
    """Bars per (window, ticker, exchange): ``open``/``close`` are the prices of the earliest/latest
    trade by (trade_time, trade_id), ``volume`` = sum(size), ``vwap`` = sum(price x size) / volume.

    Append mode emits a bar once the watermark passes its window end; update mode re-emits it as it
    changes (for MERGE sinks). Keys: window_start, ticker, exchange.
    """

    def __init__(self, settings: OhlcvSettings, context: ComponentContext) -> None:
        self.settings = settings

    def __call__(self, frame: DataFrame) -> TransformOutput:
        """Return the bar stream (a streaming aggregation)."""
        from pyspark.sql import functions as F

        if self.settings.watermark:
            frame = frame.withWatermark("trade_time", spark_interval(self.settings.watermark))
        order = F.struct("trade_time", "trade_id")
        bars = (frame.groupBy(F.window("trade_time", spark_interval(self.settings.window)), "ticker", "exchange")
                .agg(F.min_by("price", order).alias("open"),
                     F.max("price").alias("high"),
                     F.min("price").alias("low"),
                     F.max_by("price", order).alias("close"),
                     F.sum("size").alias("volume"),
                     F.sum(F.col("price") * F.col("size")).alias("_notional"),
                     F.count(F.lit(1)).alias("trade_count")))
        bars = bars.select(
            F.col("window.start").alias("window_start"), F.col("window.end").alias("window_end"),
            "ticker", "exchange", "open", "high", "low", "close", "volume",
            (F.col("_notional") / F.col("volume")).alias("vwap"), "trade_count")
        return TransformOutput(frame=bars, keys=KEYS, aggregated=True)
