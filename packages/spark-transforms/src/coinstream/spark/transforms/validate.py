"""``validate``: keep well-formed trades; send the others to the quarantine stream with their reasons."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from coinstream.core import ComponentContext
from coinstream.spark.api import TransformOutput, TransformSettings
from coinstream.spark.intervals import Interval, interval_seconds

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

REASON = "reason"


class ValidateSettings(TransformSettings):
    """[[transforms]] name = "validate"."""

    ticker_pattern: str = Field(r"^[a-z0-9]{2,32}$", description="Regular expression a ticker must match.")
    exchange_pattern: str = Field(r"^[a-z0-9][a-z0-9_.-]{0,63}$",
                                  description="Regular expression an exchange slug must match.")
    max_trade_age: Interval = Field("1 day", description="How long before its ingest_time a trade may have happened.")
    max_clock_skew: Interval = Field("5 minutes",
                                     description="How far after its ingest_time a trade may claim to have happened.")


class Validate:
    """Checks price, size, ticker, exchange, trade_id and the trade_time/ingest_time distance.

    A row failing any check goes to quarantine with every failed check in ``reason`` ("; "-joined),
    each with the offending value.
    """

    def __init__(self, settings: ValidateSettings, context: ComponentContext) -> None:
        self.settings = settings

    def reasons(self) -> Column:
        """The ``reason`` column: null for a valid row."""
        from pyspark.sql import functions as F

        s = self.settings
        age_micros = int(interval_seconds(s.max_trade_age) * 1_000_000)
        skew_micros = int(interval_seconds(s.max_clock_skew) * 1_000_000)
        lag = F.unix_micros("ingest_time") - F.unix_micros("trade_time")
        checks = [
            _check(F.col("trade_id").isNull() | (F.length("trade_id") == 0), F.lit("trade_id is empty")),
            _positive("price"),
            _positive("size"),
            _check(F.col("ticker").isNull() | ~F.col("ticker").rlike(s.ticker_pattern),
                   F.concat(F.lit("ticker "), _shown("ticker"), F.lit(f" does not match {s.ticker_pattern}"))),
            _check(F.col("exchange").isNull() | ~F.col("exchange").rlike(s.exchange_pattern),
                   F.concat(F.lit("exchange "), _shown("exchange"), F.lit(f" does not match {s.exchange_pattern}"))),
            _check(F.col("trade_time").isNull() | F.col("ingest_time").isNull(),
                   F.lit("trade_time or ingest_time is missing")),
            _check(lag > F.lit(age_micros),
                   F.concat(F.lit("trade_time "), F.col("trade_time").cast("string"), F.lit(" is "),
                            F.format_number(lag / 1e6, 0), F.lit(f" s before ingest_time (limit {s.max_trade_age})"))),
            _check(-lag > F.lit(skew_micros),
                   F.concat(F.lit("trade_time "), F.col("trade_time").cast("string"), F.lit(" is "),
                            F.format_number(-lag / 1e6, 0),
                            F.lit(f" s after ingest_time (limit {s.max_clock_skew})"))),
        ]
        joined = F.concat_ws("; ", *checks)
        return F.when(joined != F.lit(""), joined)

    def __call__(self, frame: DataFrame) -> TransformOutput:
        """Return the valid rows, and the others with ``reason`` as the quarantine side output."""
        from pyspark.sql import functions as F

        checked = frame.withColumn(REASON, self.reasons())
        valid = checked.where(F.col(REASON).isNull()).drop(REASON)
        rejected = checked.where(F.col(REASON).isNotNull())
        return TransformOutput(frame=valid, quarantine=rejected)


def _check(failed: Column, reason: Column) -> Column:
    from pyspark.sql import functions as F

    return F.when(F.coalesce(failed, F.lit(True)), reason)


def _shown(column: str) -> Column:
    from pyspark.sql import functions as F

    return F.coalesce(F.concat(F.lit("'"), F.col(column), F.lit("'")), F.lit("null"))


def _positive(column: str) -> Column:
    """A positive, finite number: Spark orders NaN above every number, so NaN > 0 must be caught apart."""
    from pyspark.sql import functions as F

    value = F.col(column)
    bad = value.isNull() | F.isnan(value) | (value <= 0) | (value == F.lit(float("inf")))
    return _check(bad, F.concat(F.lit(f"{column} must be a positive finite number, got "),
                                F.coalesce(value.cast("string"), F.lit("null"))))
