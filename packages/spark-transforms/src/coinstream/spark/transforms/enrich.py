"""``enrich``: base and quote currencies, notional, ingest latency and trade date."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from coinstream.core import ComponentContext
from coinstream.spark.api import TransformSettings

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

# Longest first when matching, so "usdt" wins over "usd" and "fdusd" over "usd".
DEFAULT_QUOTES = ("usdt", "usdc", "fdusd", "busd", "tusd", "dai", "usd", "eur", "gbp", "jpy", "try", "brl",
                  "idr", "btc", "eth", "bnb")


class EnrichSettings(TransformSettings):
    """[[transforms]] name = "enrich"."""

    quote_currencies: list[str] = Field(
        default_factory=lambda: list(DEFAULT_QUOTES),
        description="Quote currency suffixes used to split a ticker when the source gave no base/quote.")


class Enrich:
    """Adds ``notional`` (price x size, in quote currency), ``ingest_latency_ms`` (ingest_time -
    trade_time), ``trade_date`` (UTC date of trade_time) and fills ``base_currency``/``quote_currency``
    from the ticker's quote suffix when the source left them null (``pair_rule`` = ``quote_suffix``).
    """

    def __init__(self, settings: EnrichSettings, context: ComponentContext) -> None:
        self.settings = settings

    def _quote_from_ticker(self) -> Column:
        from pyspark.sql import functions as F

        ticker = F.col("ticker")
        quote: Column = F.lit(None).cast("string")
        for suffix in sorted(self.settings.quote_currencies, key=len):  # longest applied last = checked first
            quote = F.when(ticker.endswith(suffix) & (F.length(ticker) > len(suffix)), F.lit(suffix)).otherwise(quote)
        return quote

    def __call__(self, frame: DataFrame) -> DataFrame:
        """Return the stream with the enrichment columns added."""
        from pyspark.sql import functions as F

        derived_base = F.expr("substring(ticker, 1, length(ticker) - length(_quote))")
        # Decide once, before any column changes: fill only when the source split nothing.
        unsplit = F.col("base_currency").isNull() & F.col("quote_currency").isNull() & F.col("_quote").isNotNull()
        filled = F.col("_filled")
        return (frame.withColumn("_quote", self._quote_from_ticker())
                .withColumn("_filled", unsplit)
                .withColumn("pair_rule", F.when(filled, F.lit("quote_suffix")).otherwise(F.col("pair_rule")))
                .withColumn("base_currency", F.when(filled, derived_base).otherwise(F.col("base_currency")))
                .withColumn("quote_currency", F.when(filled, F.col("_quote")).otherwise(F.col("quote_currency")))
                .drop("_quote", "_filled")
                .withColumn("notional", F.col("price") * F.col("size"))
                .withColumn("ingest_latency_ms",
                            (F.unix_micros("ingest_time") - F.unix_micros("trade_time")) / F.lit(1000.0))
                .withColumn("trade_date", F.to_date("trade_time")))
