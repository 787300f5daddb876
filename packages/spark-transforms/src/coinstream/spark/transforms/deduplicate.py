"""``deduplicate``: one row per trade_id, trades later than the watermark routed to ``late_trades``.

Three decisions, each made so that every query of a pipeline (each sink is its own query, with its
own micro-batches) takes the same one for a given trade:

- **Late** is decided per trade, from its own columns: a trade whose ingest_time is more than
  ``watermark`` after its trade_time reached us too late. Spark's watermark is per query and moves
  with each query's micro-batches, so two queries would split the same trades differently; a rule on
  the row's own times cannot. It does not depend on other exchanges' clocks either, and a replayed
  recording (which keeps its recorded ingest_time) is judged as it was the first time.
- **Duplicates** (the same trade_id again: a spool re-send, a replay) are removed with state keyed
  by trade_id and a watermark on the micro-batch's own timestamp. That watermark never finds a row
  late, so nothing is dropped behind it; a trade_id is remembered for ``watermark`` (up to twice
  that) of processing time. A copy that comes after its first copy was forgotten is necessarily
  older than ``watermark`` by its ingest_time when processed: those rows are marked ``_recheck`` and
  the sink checks them against what it already wrote.
- **Event-time aggregations** (ohlcv, exchange_stats) get their own view of the same rows,
  deduplicated under a watermark on trade_time (``event_time_watermark``), because Spark allows one
  watermark per lineage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from coinstream.core import ComponentContext
from coinstream.spark.api import RECHECK, TransformOutput, TransformSettings
from coinstream.spark.intervals import Interval, interval_seconds, spark_interval

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

EVENT_TIME = "trade_time"
INGEST_TIME = "ingest_time"
# Validate's max_clock_skew: how far ahead of the others one exchange's clock may run.
CLOCK_SKEW_S = 300.0
_SEEN_AT = "_seen_at"


class DeduplicateSettings(TransformSettings):
    """[[transforms]] name = "deduplicate"."""

    watermark: Interval = Field("10 minutes", description=(
        "How late a trade may reach the ingestor after its trade_time and still land in trades (later: "
        "late_trades), and how long, in processing time, a trade_id is remembered to drop its repeats."))
    event_time_watermark: Interval | None = Field(None, description=(
        "Watermark on trade_time of the view ohlcv and exchange_stats aggregate; default: watermark + 5 minutes "
        "(validate's max_clock_skew), so a trade within the watermark counts even next to a fast exchange clock."))
    keys: list[str] = Field(default_factory=lambda: ["trade_id"], min_length=1,
                            description="Columns whose repetition makes a duplicate.")


class Deduplicate:
    """Routes late trades and keeps one row per key (see the module docstring)."""

    def __init__(self, settings: DeduplicateSettings, context: ComponentContext) -> None:
        self.settings = settings

    @property
    def watermark_s(self) -> float:
        """The watermark in seconds."""
        return interval_seconds(self.settings.watermark)

    @property
    def event_time_watermark(self) -> str:
        """The trade_time watermark of the aggregations' view, as Spark takes it."""
        if self.settings.event_time_watermark:
            return spark_interval(self.settings.event_time_watermark)
        return f"{self.watermark_s + CLOCK_SKEW_S:g} seconds"

    def __call__(self, frame: DataFrame) -> TransformOutput:
        """Return the on-time trades without repeats, the late ones, and the event-time view."""
        from pyspark.sql import functions as F

        limit_us = int(self.watermark_s * 1_000_000)
        delay_us = F.unix_micros(INGEST_TIME) - F.unix_micros(EVENT_TIME)
        is_late = F.coalesce(delay_us > F.lit(limit_us), F.lit(False))
        on_time = frame.where(~is_late)
        late = (frame.where(is_late)
                .withColumn("reason", self.late_reason(delay_us))
                .withColumn("late_by_ms", delay_us / F.lit(1000.0)))

        keys = list(self.settings.keys)
        seen_at = F.col(_SEEN_AT)
        rows = (on_time.withColumn(_SEEN_AT, F.current_timestamp())   # the micro-batch's timestamp
                .withWatermark(_SEEN_AT, spark_interval(self.settings.watermark))
                .dropDuplicatesWithinWatermark(keys)
                .withColumn(RECHECK, F.coalesce(
                    F.unix_micros(INGEST_TIME) < F.unix_micros(seen_at) - F.lit(limit_us), F.lit(False)))
                .drop(_SEEN_AT))
        events = on_time.withWatermark(EVENT_TIME, self.event_time_watermark).dropDuplicatesWithinWatermark(keys)
        return TransformOutput(frame=rows, late=late, event_time_frame=events)

    def late_reason(self, delay_us: Column) -> Column:
        """``trade_time 2026-12-02T10:00:00Z is 12 min 3 s behind its ingest_time 2026-12-02T10:12:03Z
        (deduplicate watermark 10 minutes)``."""
        from pyspark.sql import functions as F

        return F.concat(F.lit("trade_time "), _iso(EVENT_TIME), F.lit(" is "), _duration(delay_us),
                        F.lit(" behind its ingest_time "), _iso(INGEST_TIME),
                        F.lit(f" (deduplicate watermark {self.settings.watermark})"))


def _iso(column: str) -> Column:
    """A timestamp as ISO 8601 in UTC, its fraction of a second only when it has one."""
    from pyspark.sql import functions as F

    text = F.date_format(column, "yyyy-MM-dd'T'HH:mm:ss.SSSSSS")
    return F.concat(F.regexp_replace(text, r"\.?0+$", ""), F.lit("Z"))


def _duration(micros: Column) -> Column:
    """A positive duration in microseconds as ``1 d 2 h 12 min 3.5 s`` (zero parts left out)."""
    from pyspark.sql import functions as F

    total_s = F.floor(micros / F.lit(1_000_000))
    parts = [(total_s / 86_400, "d"), ((total_s % 86_400) / 3_600, "h"), ((total_s % 3_600) / 60, "min")]
    shown = [F.when(F.floor(value) > 0, F.concat(F.floor(value).cast("string"), F.lit(f" {unit}")))
             for value, unit in parts]
    seconds = (micros % F.lit(60_000_000)) / F.lit(1_000_000.0)
    seconds_text = F.regexp_replace(F.format_string("%.3f", seconds), r"\.?0+$", "")
    seconds_text = F.when(seconds_text == F.lit(""), F.lit("0")).otherwise(seconds_text)
    return F.concat_ws(" ", *shown, F.concat(seconds_text, F.lit(" s")))
