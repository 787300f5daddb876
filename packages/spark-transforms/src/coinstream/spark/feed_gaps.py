"""The ``feed_gaps`` stream: the feed gaps topic, decoded, as the rows of the lake's ``feed_gaps`` table.

Built by the processor only when a sink selects ``input = "feed_gaps"``; it reads its own small topic
(``[kafka] feed_gaps_topic``: one partition, a record per hole in the feed) and goes through no
transform. A gap the ingestor re-sent from its spool is the same record with the same ``gap_id``,
so the stream's key is ``gap_id`` and a sink keeps one row per key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from coinstream.core import feed_gap_schema_str
from coinstream.spark.decode import decode_records
from coinstream.spark.writer_schemas import WriterSchema

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

FEED_GAP_COLUMNS = ("gap_id", "source", "session_id", "gap_start", "gap_end", "seconds", "reason",
                    "missing_trades", "recorded_time")
"""The stream's columns, in order: the FeedGap fields and ``seconds`` (``gap_end - gap_start``)."""
FEED_GAP_KEYS = ("gap_id",)


def feed_gap_rows(raw: DataFrame, writers: list[WriterSchema]) -> DataFrame:
    """Return the feed gaps topic's raw Kafka rows as :data:`FEED_GAP_COLUMNS`."""
    from pyspark.sql import functions as F

    gaps = decode_records(raw, writers, feed_gap_schema_str(), id_field="gap_id")
    micros = F.unix_micros("gap_end") - F.unix_micros("gap_start")
    return gaps.withColumn("seconds", (micros / F.lit(1_000_000.0)).cast("double")).select(*FEED_GAP_COLUMNS)
