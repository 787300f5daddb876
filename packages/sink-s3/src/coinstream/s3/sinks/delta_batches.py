"""The idempotent micro-batch writes of the Delta sink (``foreachBatch``): MERGE, or append.

Spark may hand the same micro-batch to ``foreachBatch`` twice (after a crash between the Delta commit
and the checkpoint's commit). Each write here carries Delta's transaction id: ``txnAppId`` = the
query name, ``txnVersion`` = the batch id. Delta records the pair in the commit and skips a later
write whose version it has already seen for that application, so a replayed batch writes nothing.

That skip is also a trap: a checkpoint deleted or replaced while the table was kept restarts the
query's batch ids at 0, and Delta would silently skip every batch up to the last version it recorded.
So the first batch a writer sees is compared with the table's transaction version for the query: a
lower batch id stops the query with :class:`CheckpointResetError` (the same batch id is the one
replay Spark makes after a crash, and is skipped). Each commit is also tagged (``userMetadata``) with
the query, the batch and the checkpoint (the streaming query's id, as the tagged append does): a
replaced checkpoint whose first batch id equals the recorded version is refused too, instead of skipped.
Called by Spark once per micro-batch, on the driver; returns nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import structlog

from coinstream.s3.sinks.fault_point import FaultPoint, after_delta_commit
from coinstream.s3.sinks.tagged_append import (
    CheckpointResetError,
    LandedBatch,
    checkpoint_id,
    commit_tag,
    last_tagged_commit,
    reset_error,
)
from coinstream.spark import BatchReporter

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = structlog.get_logger(__name__)

_TXN_APP_ID = "spark.databricks.delta.write.txnAppId"
_TXN_VERSION = "spark.databricks.delta.write.txnVersion"
_USER_METADATA = "spark.databricks.delta.commitInfo.userMetadata"


@dataclass
class IdempotentBatchWrite:
    """Writes one micro-batch into the Delta table at ``uri``: MERGE on ``keys``, or append when no keys.

    ``landed_version()`` returns the table's transaction version for ``app_id`` (None: no table, or no
    write of this query yet); it is asked once, at the first batch. ``distinct_keys``: the stream's
    rows are not aggregates and may repeat a key within a batch (a re-sent record); the batch keeps
    one row per key (the first Spark sees) before it is written. ``update_when``: the MERGE updates a
    matched row only under this condition (None: always).
    """

    uri: str
    app_id: str
    keys: Sequence[str]
    partition_by: Sequence[str]
    merge_schema: bool
    report: BatchReporter
    table_properties: Mapping[str, str] = field(default_factory=dict)  # used by Delta when a write creates the table
    landed_version: Callable[[], int | None] = lambda: None
    table: str = ""
    fault_point: FaultPoint | None = None
    distinct_keys: bool = False
    update_when: str | None = None
    _checked: bool = field(default=False, init=False)
    _checkpoint: str | None = field(default=None, init=False)  # the streaming query's id, read at the first batch

    def __call__(self, batch: DataFrame, batch_id: int) -> None:
        """Write ``batch`` once per (app_id, batch_id), whatever Spark replays."""
        from delta.tables import DeltaTable

        spark = batch.sparkSession  # the query's own session: its conf is not shared with other queries
        if not self._checked:
            self._checkpoint = checkpoint_id(spark, self.app_id)
            self.refuse_a_reset_checkpoint(batch_id, spark)
        if self.distinct_keys and self.keys:
            batch = batch.dropDuplicates(list(self.keys))
        # Computed once, in full: the count runs every partition (so the upstream state stores commit even
        # when Delta skips a replayed write, which Spark checks), and the write reads the cached rows.
        batch.persist()
        try:
            if batch.count() == 0:
                return
            if not self.keys or not DeltaTable.isDeltaTable(spark, self.uri):
                self._append(batch, batch_id)
                self.report(batch_id, delta_write="append")
            else:
                metrics = self._merge(spark, batch, batch_id)
                self.report(batch_id, delta_write="merge", **metrics)
        finally:
            batch.unpersist()
        after_delta_commit(self.fault_point, self.table or self.uri, batch_id,
                           committed=lambda: self.landed_version() == batch_id)

    def refuse_a_reset_checkpoint(self, batch_id: int, spark: SparkSession) -> None:
        """Raise CheckpointResetError when the table holds a later batch of this query than ``batch_id``, or
        its last batch of this query came from another checkpoint (``spark``: to read the commit tags)."""
        landed = self.landed_version()
        self._checked = True
        if landed is not None and landed == batch_id and self._checkpoint:
            tagged = last_tagged_commit(spark, self.uri, self.app_id)
            problem = None if tagged is None else reset_error(
                self.uri, self.app_id, LandedBatch(landed, tagged.checkpoint), batch_id, self._checkpoint)
            if problem:
                raise CheckpointResetError(problem)
        if landed is not None and batch_id < landed:
            raise CheckpointResetError(
                f"the Delta table {self.uri} already holds batch {landed} of query {self.app_id!r} (its transaction "
                f"version), but the query's checkpoint starts at batch {batch_id}: the checkpoint was deleted or "
                f"replaced while the table was kept, and Delta would skip batches {batch_id} to {landed} as already "
                "written. Either restore the checkpoint, or give the sink a new query name (query = \"...\") and "
                "start from a table holding none of this data")

    def _append(self, batch: DataFrame, batch_id: int) -> None:
        writer = (batch.write.format("delta").mode("append")
                  .option("txnAppId", self.app_id).option("txnVersion", str(batch_id))
                  .option("userMetadata", commit_tag(self.app_id, batch_id, self._checkpoint))
                  .option("mergeSchema", str(self.merge_schema).lower())
                  .options(**self.table_properties))
        if self.partition_by:
            writer = writer.partitionBy(*self.partition_by)
        writer.save(self.uri)

    def _merge(self, spark: SparkSession, batch: DataFrame, batch_id: int) -> dict[str, Any]:
        from delta.tables import DeltaTable

        condition = " AND ".join(f"t.`{key}` = s.`{key}`" for key in self.keys)
        spark.conf.set(_TXN_APP_ID, self.app_id)
        spark.conf.set(_TXN_VERSION, str(batch_id))
        spark.conf.set(_USER_METADATA, commit_tag(self.app_id, batch_id, self._checkpoint))
        try:
            result = (DeltaTable.forPath(spark, self.uri).alias("t").merge(batch.alias("s"), condition)
                      .whenMatchedUpdateAll(self.update_when).whenNotMatchedInsertAll().execute())
        finally:
            spark.conf.unset(_TXN_APP_ID)
            spark.conf.unset(_TXN_VERSION)
            spark.conf.unset(_USER_METADATA)
        if result is None:
            return {}
        rows = result.collect()
        if not rows:  # Delta skipped the MERGE: this batch was already written
            log.info("delta_batch_skipped", table=self.uri, app_id=self.app_id, batch_id=batch_id)
            return {"delta_rows_inserted": 0, "delta_rows_updated": 0}
        first = rows[0].asDict()
        return {"delta_rows_inserted": int(first.get("num_inserted_rows") or 0),
                "delta_rows_updated": int(first.get("num_updated_rows") or 0)}
