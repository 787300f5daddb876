"""The processor's plugin API: what a Spark transform and a Spark sink implement.

A pipeline is a small graph of **named streams**. Decoding the trades topic yields ``trades``;
each ``[[transforms]]`` entry reads one stream (``input``, default ``trades``) and writes one
(``output``, default: its input, i.e. it replaces it); rows a transform rejects go to the
``quarantine`` stream with a ``reason``; rows a transform's watermark would discard go to the
``late_trades`` stream, with a ``reason``. Each ``[[sinks]]`` entry writes one stream (``input``)
and becomes its own streaming query with its own checkpoint folder. Exactly-once comes from that
checkpoint plus an idempotent sink (see :class:`SinkContext`).

Plugins register factories through core's hooks::

    register("my_transform", MyTransform, engine="spark", settings=MySettings)   # register_transforms
    register("my_sink", MySink, engine="spark", settings=MySinkSettings)          # register_sinks

``factory(settings, context)`` is called once when the processor starts: ``settings`` is the
validated model, ``context`` a :class:`coinstream.core.ComponentContext` (the pipeline's name,
``[kafka]``, its plugin sections, e.g. ``context.section("s3")``, and the pipeline file's folder).
A transform class or a sink class is itself such a factory: ``__init__(self, settings, context)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from pydantic import Field

from coinstream.core import StrictModel

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.streaming import DataStreamWriter, StreamingQuery

ENGINE = "spark"

TRADES = "trades"
"""Decoded trades (then validated, deduplicated, enriched by the transforms that replace it)."""
QUARANTINE = "quarantine"
"""Rows a transform rejected: the row's columns, ``reason`` and ``quarantined_by`` (the transform name); and
undecodable trades records (``quarantined_by = "decode"``, see :func:`coinstream.spark.decode.split_trades`)."""
LATE_TRADES = "late_trades"
"""Trades that came later than the watermark allows (built-in ``deduplicate``): the row's columns,
``reason`` (how late, against which limit) and ``late_by_ms``."""
FEED_GAPS = "feed_gaps"
"""The feed's recorded gaps, read from ``[kafka] feed_gaps_topic`` (not from the trades): one row per
FeedGap record, columns in :data:`coinstream.spark.feed_gaps.FEED_GAP_COLUMNS`, key ``gap_id``. No
transform reads or writes it; a sink selects it with ``input = "feed_gaps"``."""
RECHECK = "_recheck"
"""A boolean column a stream may carry. True marks a row that may repeat one an earlier micro-batch of
the same query wrote longer ago than the deduplication remembers (e.g. a trade re-sent after a long
outage). An exactly-once sink checks those rows by the stream's keys against what it already wrote,
drops the repeats, and never writes the column itself."""
OHLCV_1M = "ohlcv_1m"
"""One-minute OHLCV bars per ticker and exchange (built-in ``ohlcv``)."""
EXCHANGE_STATS = "exchange_stats"
"""Trade count, notional and distinct tickers per exchange and window (built-in ``exchange_stats``)."""

STREAM_NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
OutputMode = Literal["append", "update", "complete"]


# -- transforms --------------------------------------------------------------------------------
class TransformSettings(StrictModel):
    """Base of a Spark transform's settings: which named stream it reads and which it writes.

    Subclass it to add your own keys; a transform whose settings model does not derive from it
    reads and replaces ``trades``.
    """

    input: str = Field(TRADES, pattern=STREAM_NAME_PATTERN, description="Named stream this transform reads.")
    output: str | None = Field(None, pattern=STREAM_NAME_PATTERN,
                               description="Named stream it writes; default: replaces its input.")


@dataclass(frozen=True, slots=True)
class TransformOutput:
    """What a transform returns when it does more than map rows.

    ``frame``: the output stream. ``quarantine``: rejected rows, with a string column ``reason``
    (why, with the offending value); they are never silently dropped. ``late``: rows that came too
    late for the transform's watermark, with a string column ``reason`` (how late); they go to the
    ``late_trades`` stream. ``keys``: the columns that identify a row of ``frame`` (upserting sinks
    MERGE on them); None keeps the input's keys. ``aggregated``: ``frame`` is a streaming
    aggregation (sinks pick append or update mode). ``event_time_frame``: the same rows for
    event-time aggregations (a watermark on ``trade_time``), when ``frame`` carries another
    watermark: the transforms after this one also run on it, and aggregations read only it (Spark
    allows one watermark per lineage).
    """

    frame: DataFrame
    quarantine: DataFrame | None = None
    keys: tuple[str, ...] | None = None
    aggregated: bool = False
    late: DataFrame | None = None
    event_time_frame: DataFrame | None = None


@runtime_checkable
class Transform(Protocol):
    """A Spark transform: called once per pipeline start with the streaming DataFrame it reads.

    Returns the output DataFrame (same keys as the input), or a :class:`TransformOutput` with a
    quarantine or late side output and/or new keys. It builds a lazy plan; it must not start a query.
    After a transform that gives an ``event_time_frame``, it is called once more, on that view.
    """

    def __call__(self, frame: DataFrame) -> DataFrame | TransformOutput: ...


# -- sinks -------------------------------------------------------------------------------------
class SinkSettings(StrictModel):
    """Base of a Spark sink's settings: the stream it writes and the name of its query.

    ``query`` names the streaming query and its checkpoint subfolder
    ``<[spark] checkpoint_location>/<pipeline name>/<query>``; it defaults to ``<sink>-<input>``.
    Renaming it starts over from ``[spark] starting_offsets``.
    """

    input: str = Field(TRADES, pattern=STREAM_NAME_PATTERN, description="Named stream this sink writes.")
    query: str | None = Field(None, pattern=r"^[a-z][a-z0-9_-]*$",
                              description="Query name and checkpoint subfolder; default <sink>-<input>.")


@dataclass(frozen=True, slots=True)
class Trigger:
    """The pipeline's trigger, as keyword arguments of ``DataStreamWriter.trigger``."""

    processing_time: str | None = None
    available_now: bool = False

    def as_kwargs(self) -> dict[str, str | bool]:
        """``{"availableNow": True}`` or ``{"processingTime": "2 seconds"}``."""
        if self.available_now:
            return {"availableNow": True}
        return {"processingTime": self.processing_time or "0 seconds"}


BatchReporter = Callable[..., None]
"""``report(batch_id, **extra)``: numbers a sink wants on that batch's BatchMetrics.extra."""


@dataclass(frozen=True)
class SinkContext:
    """Everything a sink needs to start its query; built by the processor, one per sink.

    - ``query_name``: unique and stable per pipeline + sink + stream. Use it as the query name
      and, for idempotent writes in ``foreachBatch``, as the transaction application id
      (Delta ``txnAppId``), with the micro-batch id as ``txnVersion``.
    - ``checkpoint_location``: this query's own folder; never share it with another query.
    - ``keys``: the columns that identify a row of the stream (empty: append-only by nature).
    - ``aggregated``: the stream is a streaming aggregation (append emits a row once its window
      closes under the watermark; update re-emits changed rows every batch, for MERGE sinks).
    - ``report(batch_id, **extra)``: attach sink figures (rows merged, table version) to that
      batch's :class:`coinstream.core.BatchMetrics` ``extra``; call it inside ``foreachBatch``.
    - a stream may carry the :data:`RECHECK` column: check the marked rows by ``keys`` against what
      the sink already wrote, drop the repeats, and never write the column.
    """

    spark: SparkSession
    pipeline_name: str
    stream: str
    query_name: str
    checkpoint_location: str
    trigger: Trigger
    keys: tuple[str, ...] = ()
    aggregated: bool = False
    report: BatchReporter = field(default=lambda batch_id, **extra: None)

    def writer(self, frame: DataFrame, output_mode: OutputMode = "append") -> DataStreamWriter:
        """Return ``frame.writeStream`` with this query's name, checkpoint, trigger and output mode set."""
        return (frame.writeStream.queryName(self.query_name)
                .option("checkpointLocation", self.checkpoint_location)
                .outputMode(output_mode)
                .trigger(**self.as_trigger_kwargs()))

    def as_trigger_kwargs(self) -> dict[str, str | bool]:
        """The trigger as ``DataStreamWriter.trigger`` keyword arguments."""
        return self.trigger.as_kwargs()


@runtime_checkable
class Sink(Protocol):
    """A Spark sink: ``start`` is called once per pipeline start, for the stream named by ``input``.

    Returns the started :class:`StreamingQuery`; the processor watches it, reports its progress
    to the ``batch_committed`` hook and stops it. Use ``context.writer(stream)`` so the query gets
    the pipeline's name, checkpoint and trigger.
    """

    def start(self, stream: DataFrame, context: SinkContext) -> StreamingQuery: ...


def sink_spark_conf(sink: object) -> Mapping[str, str]:
    """Return the Spark settings a sink needs at session creation (its optional ``spark_conf()``).

    A sink may define ``spark_conf() -> Mapping[str, str]`` (e.g. Delta's ``spark.sql.extensions``);
    the processor merges them into the session it builds, before any query starts.
    """
    method = getattr(sink, "spark_conf", None)
    return dict(method()) if callable(method) else {}
