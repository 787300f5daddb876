"""The exactly-once append of the Delta sink (``foreachBatch``): each commit tagged with its batch.

Why not Delta's streaming sink or ``txnAppId``/``txnVersion``: in delta-spark 4.4 both look the
query's last version up in the table's set-transactions, which Delta 4.4 always computes with a full
state reconstruction of the log, a Spark job on every micro-batch. Profiled on 2 cores it was 40% of
a 2,000-trade batch (1.25 s -> 0.7 s without it). Later Delta versions answer from the checksum file;
4.4.0 is the newest delta-spark jar for our Spark on Maven Central.

How it stays exactly once: every commit carries ``userMetadata`` = ``{"coinstream_query": <query
name>, "batch_id": <id>}``. Spark re-runs at most ONE micro-batch after a restart: the last one in
the offset log, when the crash came between the Delta commit and the checkpoint's commit. So only
the first batch a writer sees needs a look at the table: the newest commit tagged with this query
(searched in the last :data:`HISTORY_DEPTH` commits) says which batch landed last.

- the same batch id: that batch is already in the table; it is skipped.
- an older one (or none): the batch is new; it is written.
- a NEWER one: the checkpoint was deleted or replaced while the table was kept; its batch ids start
  again, and writing would duplicate or skip data. The query stops with :class:`CheckpointResetError`
  (the message says the two ways out).
- any batch id, written from ANOTHER checkpoint: the tag also names the checkpoint (``checkpoint``: the
  streaming query's id, which Spark keeps in the checkpoint's metadata: the same across restarts, new for
  a new checkpoint). A replaced checkpoint whose batch ids happen to meet the old ones (the old query
  committed only batch 0, and the new one starts at 0) would otherwise be skipped as "already written":
  it stops with :class:`CheckpointResetError` as well. Commits tagged before the tag named the
  checkpoint are judged by their batch id alone.

Rows the stream marks for a recheck (``_recheck``) are checked by key against this table and the
``check_tables`` first (:mod:`coinstream.s3.sinks.repeats`); the repeats are not written.

Called by Spark once per micro-batch, on the driver; returns nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog

from coinstream.s3.sinks.fault_point import FaultPoint, after_delta_commit
from coinstream.s3.sinks.repeats import without_repeats
from coinstream.spark import RECHECK, BatchReporter

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = structlog.get_logger(__name__)

TAG_QUERY = "coinstream_query"
TAG_BATCH = "batch_id"
TAG_CHECKPOINT = "checkpoint"
# The local property Spark's StreamExecution sets to the query's id while it runs a micro-batch.
_QUERY_ID_PROPERTY = "sql.streaming.queryId"
# Commits searched for the query's last batch when a writer starts. Every batch of the query commits,
# so only other writers' commits (OPTIMIZE, VACUUM) can come between: a thousand of them while the
# processor was down is far beyond what maintenance does.
HISTORY_DEPTH = 1000


class CheckpointResetError(Exception):
    """The table holds later batches of this query than its checkpoint knows (the message says what to do)."""


@dataclass(frozen=True, slots=True)
class LandedBatch:
    """The newest batch of a query in the table: its id, and the checkpoint (query id) that wrote it."""

    batch_id: int
    checkpoint: str | None = None  # None: tagged before the tag named the checkpoint


def commit_tag(query: str, batch_id: int, checkpoint: str | None = None) -> str:
    """The ``userMetadata`` of the commit that writes ``batch_id`` of ``query`` from ``checkpoint``."""
    tag: dict[str, Any] = {TAG_QUERY: query, TAG_BATCH: batch_id}
    if checkpoint:
        tag[TAG_CHECKPOINT] = checkpoint
    return json.dumps(tag, separators=(",", ":"))


def tagged_commit(user_metadata: str | None, query: str) -> LandedBatch | None:
    """The batch (and checkpoint) in a commit's ``userMetadata`` when ``query`` wrote it, else None."""
    if not user_metadata or TAG_QUERY not in user_metadata:
        return None
    try:
        tag = json.loads(user_metadata)
    except ValueError:
        return None
    if not isinstance(tag, dict) or tag.get(TAG_QUERY) != query or not isinstance(tag.get(TAG_BATCH), int):
        return None
    checkpoint = tag.get(TAG_CHECKPOINT)
    return LandedBatch(int(tag[TAG_BATCH]), checkpoint if isinstance(checkpoint, str) else None)


def tagged_batch(user_metadata: str | None, query: str) -> int | None:
    """The batch id in a commit's ``userMetadata`` when ``query`` wrote it, else None."""
    landed = tagged_commit(user_metadata, query)
    return None if landed is None else landed.batch_id


def checkpoint_id(spark: SparkSession, query: str) -> str | None:
    """The id of the streaming query named ``query`` (Spark keeps it in the checkpoint), or None outside one.

    Inside ``foreachBatch`` Spark runs the batch with the query's id as a local property of the calling
    thread; the batch's session is a clone whose query manager lists no query, hence the property first.
    """
    query_id = spark.sparkContext.getLocalProperty(_QUERY_ID_PROPERTY)
    if query_id:
        return str(query_id)
    for active in spark.streams.active:
        if active.name == query:
            return str(active.id)
    return None


def reset_error(uri: str, query: str, landed: LandedBatch, batch_id: int, checkpoint: str | None) -> str | None:
    """Why writing ``batch_id`` from ``checkpoint`` after ``landed`` would lose or repeat data (None: it would not)."""
    if landed.checkpoint and checkpoint and landed.checkpoint != checkpoint:
        found = (f"its last batch of query {query!r} (batch {landed.batch_id}) was written from another checkpoint "
                 f"(query id {landed.checkpoint}; this one is {checkpoint})")
    elif landed.batch_id > batch_id:
        found = f"already holds batch {landed.batch_id} of query {query!r}, but the query's checkpoint starts at " \
                f"batch {batch_id}"
    else:
        return None
    return (f"the Delta table {uri}: {found}: the checkpoint was deleted or replaced while the table was kept, "
            "and writing now would duplicate or skip trades. Either restore the checkpoint, or give the sink a "
            "new query name (query = \"...\") and start from a table holding none of this data")


class TaggedBatchAppend:
    """Appends each micro-batch of one query to the Delta table at ``uri``, once (module docstring)."""

    def __init__(self, uri: str, query: str, partition_by: Sequence[str], merge_schema: bool,
                 report: BatchReporter, table_properties: Mapping[str, str] | None = None,
                 keys: Sequence[str] = ("trade_id",), check_tables: Sequence[str] = (), table: str = "",
                 fault_point: FaultPoint | None = None) -> None:
        self.uri = uri
        self.table_properties = dict(table_properties or {})  # applied by Delta only when the write creates the table
        self.query = query
        self.partition_by = tuple(partition_by)
        self.merge_schema = merge_schema
        self.report = report
        self.keys = tuple(keys)
        self.check_tables = tuple(check_tables)  # other tables (URIs) a marked row must not repeat
        self.table = table or uri
        self.fault_point = fault_point
        self._checked = False
        self._checkpoint: str | None = None  # the streaming query's id, read at the first batch

    def __call__(self, batch: DataFrame, batch_id: int) -> None:
        """Write ``batch`` unless the table already holds it (see the module docstring)."""
        if not self._checked:
            self._checkpoint = checkpoint_id(batch.sparkSession, self.query)
            landed = self.last_landed(batch.sparkSession)
            self._checked = True
            problem = None if landed is None else reset_error(self.uri, self.query, landed, batch_id, self._checkpoint)
            if problem:
                raise CheckpointResetError(problem)
            if landed is not None and landed.batch_id == batch_id:
                # Still run the batch through (and discard it): its state stores must commit, or Spark
                # refuses the batch (STATE_STORE_COMMIT_VALIDATION_FAILED).
                batch.write.format("noop").mode("overwrite").save()
                log.info("delta_batch_skipped", table=self.uri, query=self.query, batch_id=batch_id)
                self.report(batch_id, delta_write="skipped")
                return
        if RECHECK in batch.columns:
            with without_repeats(batch, self.keys, (self.uri, *self.check_tables)) as (rows, figures):
                self._append(rows, batch_id)
                self.report(batch_id, delta_write="append", **figures)
        else:
            self._append(batch, batch_id)
            self.report(batch_id, delta_write="append")
        after_delta_commit(self.fault_point, self.table, batch_id,
                           committed=lambda: self.last_landed_batch(batch.sparkSession) == batch_id)

    def _append(self, batch: DataFrame, batch_id: int) -> None:
        writer = (batch.write.format("delta").mode("append")
                  .option("userMetadata", commit_tag(self.query, batch_id, self._checkpoint))
                  .option("mergeSchema", str(self.merge_schema).lower())
                  .options(**self.table_properties))
        if self.partition_by:
            writer = writer.partitionBy(*self.partition_by)
        writer.save(self.uri)

    def last_landed_batch(self, spark: SparkSession) -> int | None:
        """The newest batch id of this query among the table's last commits; None for no table or no tag."""
        landed = self.last_landed(spark)
        return None if landed is None else landed.batch_id

    def last_landed(self, spark: SparkSession) -> LandedBatch | None:
        """The newest batch of this query among the table's last commits; None for no table or no tag."""
        return last_tagged_commit(spark, self.uri, self.query)


def last_tagged_commit(spark: SparkSession, uri: str, query: str) -> LandedBatch | None:
    """The newest commit ``query`` tagged among the last :data:`HISTORY_DEPTH` of the table at ``uri``."""
    from delta.tables import DeltaTable

    if not DeltaTable.isDeltaTable(spark, uri):
        return None
    rows: list[Any] = (DeltaTable.forPath(spark, uri).history(HISTORY_DEPTH)
                       .select("version", "userMetadata").collect())
    for row in sorted(rows, key=lambda r: r["version"], reverse=True):
        landed = tagged_commit(row["userMetadata"], query)
        if landed is not None:
            return landed
    return None
