"""``console``: print each micro-batch (Spark's console sink), for development."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from coinstream.core import ComponentContext
from coinstream.spark.api import RECHECK, OutputMode, SinkContext, SinkSettings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame
    from pyspark.sql.streaming import StreamingQuery


class ConsoleSinkSettings(SinkSettings):
    """[[sinks]] name = "console"."""

    rows: int = Field(20, ge=1, le=10_000, description="Rows printed per micro-batch.")
    truncate: bool = Field(False, description="Shorten long cell values.")
    output_mode: OutputMode | None = Field(
        None, description="append (default) or update; update shows aggregates as they change.")


class ConsoleSink:
    """Prints the stream's rows on the driver's stdout every micro-batch."""

    def __init__(self, settings: ConsoleSinkSettings, context: ComponentContext) -> None:
        self.settings = settings

    def start(self, stream: DataFrame, context: SinkContext) -> StreamingQuery:
        """Start the console query for ``context.stream``; return it."""
        mode = self.settings.output_mode or "append"
        if RECHECK in stream.columns:  # printing has nothing to check against: repeats older than the
            stream = stream.drop(RECHECK)  # deduplication's memory are printed again
        return (context.writer(stream, mode).format("console")
                .option("numRows", str(self.settings.rows))
                .option("truncate", str(self.settings.truncate).lower())
                .start())
