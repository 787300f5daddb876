"""Dropping the rows of a micro-batch that repeat a row already written, before an append.

A stream marks with ``_recheck`` (:data:`coinstream.spark.api.RECHECK`) the rows its deduplication can
no longer vouch for: every late trade, and a trade whose first copy came longer ago than the
deduplication remembers. They are few, so each batch checks only them, by key (trade_id), against
the tables they must not repeat, reading only the files whose trade_time range holds theirs (every
copy of a trade has the trade_time of its frame; the trade tables keep file statistics on it). A row
without a key (null or empty) cannot repeat anything and is kept.

Used inside ``foreachBatch``: the batch is cached for the time of the write, so the stream's plan
(and its state stores) runs once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from coinstream.spark import RECHECK

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

EVENT_TIME = "trade_time"
PARTITION = "trade_date"


@contextmanager
def without_repeats(batch: DataFrame, keys: Sequence[str], tables: Sequence[str]) -> Iterator[
        tuple[DataFrame, dict[str, int]]]:
    """Yield the batch without its marked rows that repeat a key of ``tables`` (or of an earlier marked row of
    the batch), without the ``_recheck`` column, and the figures ``rows_rechecked``/``duplicates_dropped``."""
    from pyspark.sql import functions as F

    cached: list[DataFrame] = [batch.persist()]
    try:
        marked = batch.where(F.col(RECHECK))
        stats = marked.agg(F.count(F.lit(1)).alias("rows"), F.min(F.unix_micros(EVENT_TIME)).alias("first"),
                           F.max(F.unix_micros(EVENT_TIME)).alias("last")).first() \
            if EVENT_TIME in batch.columns else marked.agg(F.count(F.lit(1)).alias("rows")).first()
        rows = int(stats["rows"]) if stats is not None else 0
        if not rows or not keys:
            yield batch.drop(RECHECK), ({"rows_rechecked": rows} if rows else {})
            return
        identified = F.lit(True)   # a row without a key (validate quarantines an empty trade_id) is its own
        for key in keys:
            identified = identified & F.col(key).isNotNull() & (F.col(key).cast("string") != F.lit(""))
        fresh = marked.where(identified).dropDuplicates(list(keys))
        span = (stats["first"], stats["last"]) if EVENT_TIME in batch.columns and stats["first"] is not None \
            else None
        for table in tables:
            written = written_keys(batch.sparkSession, table, keys, span)
            if written is not None:
                fresh = fresh.join(written, list(keys), "left_anti")
        cached.append(fresh.persist())
        kept = fresh.count()
        unidentified = marked.where(~identified)
        result = batch.where(~F.col(RECHECK)).unionByName(fresh).unionByName(unidentified).drop(RECHECK)
        yield result, {"rows_rechecked": rows, "duplicates_dropped": rows - kept - unidentified.count()}
    finally:
        for frame in cached:
            frame.unpersist()


def written_keys(spark: SparkSession, uri: str, keys: Sequence[str], span: tuple[Any, Any] | None) -> DataFrame | None:
    """The keys the Delta table at ``uri`` holds among rows whose trade_time is within ``span`` (unix micros);
    None when there is no table there or it lacks a key column."""
    from delta.tables import DeltaTable
    from pyspark.sql import functions as F

    if not DeltaTable.isDeltaTable(spark, uri):
        return None
    table = spark.read.format("delta").load(uri)
    if any(key not in table.columns for key in keys):
        return None
    if span is not None and EVENT_TIME in table.columns:
        first, last = (F.timestamp_micros(F.lit(int(value))) for value in span)
        table = table.where(F.col(EVENT_TIME).between(first, last))   # folded to literals: Delta skips files
        if PARTITION in table.columns:
            table = table.where(F.col(PARTITION).between(F.to_date(first), F.to_date(last)))
    return table.select(*keys)
