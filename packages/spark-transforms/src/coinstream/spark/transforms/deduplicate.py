"""``deduplicate``: drop repeated trade ids within an event-time watermark on trade_time."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from coinstream.spark.api import TransformSettings
from coinstream.spark.intervals import Interval, spark_interval

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

EVENT_TIME = "trade_time"


class DeduplicateSettings(TransformSettings):
    """[[transforms]] name = "deduplicate"."""

    watermark: Interval = Field("10 minutes", description=(
        "Event-time watermark on trade_time: how late a trade may arrive and still be deduplicated and counted. "
        "It is the pipeline's watermark: ohlcv and exchange_stats downstream use it."))
    keys: list[str] = Field(default_factory=lambda: ["trade_id"], min_length=1,
                            description="Columns whose repetition makes a duplicate.")


class Deduplicate:
    """Keeps the first row per key seen within the watermark.

    A retry or replay of the feed carries the same trade_id (see core's trade_id), so this removes
    exactly the redelivered copies while two genuine identical trades keep their distinct ids. State
    for a key is dropped once the watermark passes its trade_time + watermark. A trade arriving
    later than the watermark is dropped by Spark; the batch metrics count it
    (``late_rows_dropped``) and the processor logs ``late_rows_dropped``.
    """

    def __init__(self, settings: DeduplicateSettings) -> None:
        self.settings = settings

    def __call__(self, frame: DataFrame) -> DataFrame:
        """Return the stream with a watermark on trade_time and without duplicate keys."""
        watermarked = frame.withWatermark(EVENT_TIME, spark_interval(self.settings.watermark))
        return watermarked.dropDuplicatesWithinWatermark(list(self.settings.keys))
