"""``csv``: the reference project's plain output, CSV files on S3 or in a folder, for users who want files.

Columns, in this order: ``trade_id, ticker, date, exchange_platform, trade_volume, trade_price``
(``date`` = trade_time as ``yyyy-MM-dd HH:mm:ss.SSSSSS`` UTC, ``exchange_platform`` = exchange,
``trade_volume`` = size, ``trade_price`` = price), one header line per file.

Each micro-batch goes to its own folder ``batch=<id>/`` (``foreachBatch``, overwrite): a batch Spark
replays after a crash replaces its own files, so every trade is in exactly one file whatever a plain
``ls`` or another tool reads. Spark's own file sink is not used: its ``_spark_metadata`` log needs S3
folder listings that S3-compatible servers such as the local stack's do not give, and tools other
than Spark ignore that log anyway.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from coinstream.core import ComponentContext
from coinstream.s3.sinks.storage import SinkStorage, s3_section
from coinstream.spark import SinkContext, SinkSettings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame
    from pyspark.sql.streaming import StreamingQuery

CSV_COLUMNS = ("trade_id", "ticker", "date", "exchange_platform", "trade_volume", "trade_price")


class CsvSinkSettings(SinkSettings):
    """[[sinks]] name = "csv"."""

    folder: str = Field("exports/trades_csv", pattern=r"^[A-Za-z0-9_.=-]+(/[A-Za-z0-9_.=-]+)*$",
                        description="Folder under [s3] bucket/prefix that receives the files.")
    path: str | None = Field(None, description="Explicit location instead of [s3]: s3a://BUCKET/KEY or a local folder.")
    header: bool = Field(True, description="Write a header line at the top of each file.")


def reference_columns(trades: DataFrame) -> DataFrame:
    """Return the trades in the reference's six columns (see the module docstring)."""
    from pyspark.sql import functions as F

    return trades.select(
        F.col("trade_id"), F.col("ticker"),
        F.date_format("trade_time", "yyyy-MM-dd HH:mm:ss.SSSSSS").alias("date"),
        F.col("exchange").alias("exchange_platform"),
        F.col("size").alias("trade_volume"), F.col("price").alias("trade_price"))


class CsvSink:
    """Writes a trades stream as CSV files (see the module docstring), located by its settings and the [s3] section."""

    def __init__(self, settings: CsvSinkSettings, context: ComponentContext) -> None:
        self.settings = settings
        self.storage = SinkStorage(settings.folder, settings.path, s3_section(context))

    def spark_conf(self) -> dict[str, str]:
        """Session settings the processor merges in before it builds the session (S3A for S3)."""
        return self.storage.spark_conf()

    def start(self, stream: DataFrame, context: SinkContext) -> StreamingQuery:
        """Check the bucket, then start the CSV file query; return it."""
        if context.aggregated:
            raise ValueError(f"csv sink: stream {context.stream!r} is an aggregation; the csv sink writes trades "
                             "(input = \"trades\"), use the delta sink for aggregates")
        missing = [c for c in ("trade_id", "ticker", "trade_time", "exchange", "size", "price") if c not in stream.columns]
        if missing:
            raise ValueError(f"csv sink: stream {context.stream!r} lacks {missing}; it writes trades "
                             "(input = \"trades\")")
        location = self.storage.prepare(context.spark)
        folder, header = location.spark_uri.rstrip("/"), str(self.settings.header).lower()

        def write_batch(batch: DataFrame, batch_id: int) -> None:
            if batch.isEmpty():
                return
            # Overwrite: a replayed batch replaces its own folder, never adds a second copy.
            batch.write.mode("overwrite").option("header", header).csv(f"{folder}/batch={batch_id:012d}")
            context.report(batch_id, csv_folder=f"batch={batch_id:012d}")

        return context.writer(reference_columns(stream), "append").foreachBatch(write_batch).start()
