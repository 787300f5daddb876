"""``delta``: a named stream into a Delta table on S3 (``s3a://``) or a local folder, exactly once.

Two ways to write, picked per table (``mode``):

- **append** (trades, quarantine, late_trades): a plain Delta append per micro-batch in ``foreachBatch``,
  each commit tagged with the query and batch id; a replayed batch is found by its tag and skipped, and
  a checkpoint reset under a kept table stops the query (:mod:`coinstream.s3.sinks.tagged_append`, which
  also says why this is not Delta's streaming sink: a state reconstruction per batch in delta-spark 4.4).
  Rows the stream marks for a recheck are first checked by trade_id against the table and its
  ``check_tables`` (:mod:`coinstream.s3.sinks.repeats`).
- **merge** (ohlcv_1m, exchange_stats, feed_gaps): the aggregation in update mode (or, for feed_gaps,
  the rows, one per key per batch), upserted with MERGE on the stream's keys in ``foreachBatch``, idempotent through ``txnAppId``/``txnVersion``, and refusing a
  checkpoint that restarts below the table's version (:mod:`coinstream.s3.sinks.delta_batches`). MERGE
  costs far more per row than an append: keep it for the small aggregate tables.

``COINSTREAM_FAULT_POINT`` (:mod:`coinstream.s3.sinks.fault_point`) kills the process after a commit,
for the tests that prove all this.

The checkpoint is the processor's (``SinkContext.checkpoint_location``, under ``[spark]
checkpoint_location``), not a folder beside the table: the processor owns query names and their
checkpoints, and one setting moves every checkpoint (e.g. to ``s3a://BUCKET/_checkpoints``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import structlog
from pydantic import Field, field_validator

from coinstream.core import ComponentContext
from coinstream.lake import LakeReader, S3Settings, TableLocation, TableNotFoundError
from coinstream.s3.sinks.delta_batches import IdempotentBatchWrite
from coinstream.s3.sinks.fault_point import fault_point_from_env
from coinstream.s3.sinks.storage import SinkStorage, s3_section
from coinstream.s3.sinks.tagged_append import TaggedBatchAppend
from coinstream.s3.tables import TableSpec, table_spec
from coinstream.spark import SinkContext, SinkSettings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame
    from pyspark.sql.streaming import StreamingQuery

log = structlog.get_logger(__name__)

_COLUMN = r"^[A-Za-z_][A-Za-z0-9_]*$"


class DeltaSinkSettings(SinkSettings):
    """[[sinks]] name = "delta"."""

    table: str | None = Field(None, pattern=r"^[a-z][a-z0-9_]*$", description=(
        "Table name: the folder under [s3] bucket/prefix, and the documented defaults it takes "
        "(trades, ohlcv_1m, exchange_stats, quarantine); default: the input stream's name."))
    path: str | None = Field(None, description=(
        "Explicit location instead of [s3]: s3a://BUCKET/KEY or a local folder."))
    mode: Literal["auto", "append", "merge"] = Field("auto", description=(
        "append, merge (upsert on the keys), or auto: the table's documented mode, else merge for an "
        "aggregated stream with keys and append otherwise."))
    partition_by: list[str] | None = Field(None, description=(
        "Partition columns; default: the table's documented partitioning (trades: trade_date)."))
    merge_keys: list[str] | None = Field(None, description="Columns MERGE matches on; default: the stream's keys.")
    check_tables: list[str] | None = Field(None, description=(
        "Other tables (names under [s3], or s3a:// or local locations) whose trade_ids a row marked for a recheck "
        "must not repeat; default: the table's documented ones (late_trades: trades)."))
    merge_schema: bool = Field(True, description="Add new columns to the table when the stream gains them.")
    table_properties: dict[str, str] = Field(default_factory=dict, description=(
        "Delta table properties (delta.*) set when the sink creates the table, over the table's documented "
        "ones (trades, quarantine: delta.dataSkippingStatsColumns). An existing table keeps its own: change "
        "those with ALTER TABLE ... SET TBLPROPERTIES."))

    @field_validator("table_properties")
    @classmethod
    def _delta_keys(cls, value: dict[str, str]) -> dict[str, str]:
        wrong = [key for key in value if not key.startswith("delta.")]
        if wrong:
            raise ValueError(f"table_properties are Delta table properties, named delta.*: got {wrong}; write them as "
                             "'delta.<name>', e.g. 'delta.checkpointInterval'")
        return value


class DeltaSink:
    """Starts the Delta write of one named stream (see the module docstring).

    The table's location comes from ``settings`` and the pipeline's [s3] section in ``context``.
    """

    def __init__(self, settings: DeltaSinkSettings, context: ComponentContext) -> None:
        self.settings = settings
        self.table = settings.table or settings.input
        self.spec: TableSpec = table_spec(self.table) or TableSpec(self.table, "append")
        self.s3 = s3_section(context)
        self.storage = SinkStorage(self.table, settings.path, self.s3)

    def spark_conf(self) -> dict[str, str]:
        """Session settings the processor merges in before it builds the session (Delta; S3A for S3)."""
        return self.storage.spark_conf()

    def write_mode(self, context: SinkContext) -> Literal["append", "merge"]:
        """The mode this sink writes ``context.stream`` with (resolving ``auto``)."""
        if self.settings.mode != "auto":
            return self.settings.mode
        if table_spec(self.table) is not None:
            return self.spec.mode
        return "merge" if context.aggregated and context.keys else "append"

    def table_properties(self) -> dict[str, str]:
        """The properties a new table gets: the documented table's, then the setting's."""
        return {**self.spec.properties, **self.settings.table_properties}

    def merge_keys(self, context: SinkContext) -> tuple[str, ...]:
        """The MERGE keys: the setting, else the stream's keys, else the table's documented keys."""
        return tuple(self.settings.merge_keys or context.keys or self.spec.keys)

    def check_locations(self) -> list[str]:
        """The Spark URIs of the tables a marked row must not repeat besides this one."""
        names = self.settings.check_tables if self.settings.check_tables is not None else self.spec.check_tables
        return [SinkStorage(name, name if ("://" in name or "/" in name) else None, self.s3).location()[0].spark_uri
                for name in names]

    def start(self, stream: DataFrame, context: SinkContext) -> StreamingQuery:
        """Check the bucket, then start the query writing ``context.stream``; return it."""
        fault_point = fault_point_from_env()
        location = self.storage.prepare(context.spark)
        partition_by = tuple(self.settings.partition_by if self.settings.partition_by is not None
                             else self.spec.partition_by)
        frame = with_trade_date(stream, partition_by)
        missing = [column for column in partition_by if column not in frame.columns]
        if missing:
            raise ValueError(f"delta sink for {self.table!r}: partition column(s) {missing} are not in stream "
                             f"{context.stream!r} (columns: {', '.join(frame.columns)}); fix partition_by")
        mode = self.write_mode(context)
        log.info("delta_sink_starting", table=self.table, location=location.spark_uri, mode=mode,
                 partition_by=list(partition_by), query=context.query_name)
        if mode == "append":
            append = TaggedBatchAppend(uri=location.spark_uri, query=context.query_name, partition_by=partition_by,
                                       merge_schema=self.settings.merge_schema, report=context.report,
                                       table_properties=self.table_properties(), keys=context.keys or ("trade_id",),
                                       check_tables=self.check_locations(), table=self.table,
                                       fault_point=fault_point)
            return context.writer(frame, "append").foreachBatch(append).start()
        keys = self.merge_keys(context)
        if not keys:
            raise ValueError(f"delta sink for {self.table!r} is mode = \"merge\" but stream {context.stream!r} has "
                             "no keys; set merge_keys = [\"...\"] or mode = \"append\"")
        absent = [key for key in keys if key not in frame.columns]
        if absent:
            raise ValueError(f"delta sink for {self.table!r}: merge key(s) {absent} are not in stream "
                             f"{context.stream!r}; fix merge_keys")
        s3 = self.storage.location()[1]
        write = IdempotentBatchWrite(uri=location.spark_uri, app_id=context.query_name, keys=keys,
                                     partition_by=partition_by, merge_schema=self.settings.merge_schema,
                                     report=context.report, table_properties=self.table_properties(),
                                     landed_version=lambda: transaction_version(location, s3, context.query_name),
                                     table=self.table, fault_point=fault_point,
                                     distinct_keys=not context.aggregated, update_when=self.spec.update_when)
        output_mode = "update" if context.aggregated else "append"
        return context.writer(frame, output_mode).foreachBatch(write).start()


def with_trade_date(stream: DataFrame, partition_by: tuple[str, ...]) -> DataFrame:
    """Add ``trade_date`` (UTC date of trade_time) when it partitions the table and no ``enrich`` added it."""
    if "trade_date" in partition_by and "trade_date" not in stream.columns and "trade_time" in stream.columns:
        from pyspark.sql import functions as F

        return stream.withColumn("trade_date", F.to_date("trade_time"))
    return stream


def transaction_version(location: TableLocation, s3: S3Settings | None, app_id: str) -> int | None:
    """The last ``txnVersion`` the Delta table at ``location`` recorded for ``app_id``; None without one.

    Read with delta-rs: delta-spark's Python API does not expose a table's set transactions.
    """
    try:
        table = LakeReader(s3).table(location.key or location.spark_uri, path=location.spark_uri)
    except TableNotFoundError:
        return None
    return table.transaction_version(app_id)
