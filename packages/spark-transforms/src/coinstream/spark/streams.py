"""The named streams of a pipeline: routing the transforms in file order, checked before Spark starts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce
from typing import TYPE_CHECKING

from coinstream.core import ConfiguredComponent
from coinstream.spark.api import FEED_GAPS, LATE_TRADES, QUARANTINE, RECHECK, TRADES, Transform, TransformOutput

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


class PipelineGraphError(Exception):
    """The pipeline's transforms or sinks name a stream that nothing produces (the message says which)."""


# Streams the processor assembles from every transform's side outputs: no transform may write them.
_SIDE_STREAMS = {QUARANTINE: "rejected rows", LATE_TRADES: "trades later than the watermark"}
# Streams the processor reads from a topic of their own, for sinks only.
_SOURCE_STREAMS = {FEED_GAPS: "the feed's recorded gaps ([kafka] feed_gaps_topic)"}
_RESERVED = {**_SIDE_STREAMS, **_SOURCE_STREAMS}


@dataclass(frozen=True, slots=True)
class Route:
    """Which stream a configured transform reads and which it writes."""

    key: str
    name: str
    input: str
    output: str


@dataclass(frozen=True, slots=True)
class NamedStream:
    """A stream sinks can select with ``input = "<name>"``; ``event_time_frame``: its rows under a
    trade_time watermark, for the aggregations that read it (see :class:`TransformOutput`)."""

    name: str
    frame: DataFrame
    keys: tuple[str, ...] = ()
    aggregated: bool = False
    event_time_frame: DataFrame | None = None


def route_of(component: ConfiguredComponent) -> Route:
    """The route from a transform's settings (``input``/``output``; defaults: trades -> its input)."""
    source = getattr(component.settings, "input", None) or TRADES
    target = getattr(component.settings, "output", None) or source
    return Route(component.key, component.name, str(source), str(target))


def sink_input(component: ConfiguredComponent) -> str:
    """The stream a sink writes (its ``input`` setting; default trades)."""
    return str(getattr(component.settings, "input", None) or TRADES)


def plan_streams(transforms: Sequence[ConfiguredComponent], sinks: Sequence[ConfiguredComponent]) -> list[Route]:
    """Check that every transform and sink reads a stream that exists at its place; return the routes."""
    available = {TRADES}
    routes = []
    for component in transforms:
        route = route_of(component)
        if route.input not in available:
            raise PipelineGraphError(
                f"{route.key} ({route.name}) reads stream {route.input!r}, which no earlier step produces "
                f"(available there: {', '.join(sorted(available))}); move the transform that writes it "
                f"before {route.key}, or fix input"
            )
        if route.output in _RESERVED:
            raise PipelineGraphError(f"{route.key} ({route.name}) writes to {route.output!r}, which is reserved for "
                                     f"{_RESERVED[route.output]}; choose another output name")
        available.add(route.output)
        routes.append(route)
    available.update(_RESERVED)
    for component in sinks:
        wanted = sink_input(component)
        if wanted not in available:
            raise PipelineGraphError(
                f"{component.key} ({component.name}) writes stream {wanted!r}, which no transform produces "
                f"(streams: {', '.join(sorted(available))}); add the transform that writes it or fix input"
            )
    return routes


def build_streams(trades: DataFrame, transforms: Sequence[tuple[Route, Transform]],
                  undecodable: DataFrame | None = None) -> dict[str, NamedStream]:
    """Apply the transforms in order to the decoded trades; return every named stream.

    ``quarantine`` is the union (by column name) of every transform's rejected rows, each tagged
    with ``quarantined_by``, and of the ``undecodable`` records' rows (``quarantined_by = "decode"``, see
    :func:`coinstream.spark.decode.split_trades`); ``late_trades`` the union of their late rows. Every row
    of both is marked for a recheck (they are few: a sink checks each against what it wrote, so a re-sent rejected or late
    trade lands once). Both exist even when no transform produces any (then they are empty). A stream with an event-time view gets every later
    transform applied to that view too, and an aggregation of it reads only that view.
    """
    from pyspark.sql import functions as F

    streams = {TRADES: NamedStream(TRADES, trades, keys=("trade_id",))}
    rejected: list[DataFrame] = []
    late: list[DataFrame] = []
    for route, transform in transforms:
        source = streams[route.input]
        on_events = None
        if source.event_time_frame is not None:
            on_events = _unpack(route, transform(source.event_time_frame), source)
            if on_events.aggregated:
                streams[route.output] = NamedStream(route.output, on_events.frame, on_events.keys, aggregated=True)
                continue
        result = _unpack(route, transform(source.frame), source)
        if result.quarantine is not None:
            rejected.append(result.quarantine.withColumn("quarantined_by", F.lit(route.name)))
        if result.late is not None:
            late.append(result.late)
        events = result.event_time_frame if on_events is None else on_events.frame
        streams[route.output] = NamedStream(route.output, result.frame, keys=result.keys,
                                            aggregated=result.aggregated, event_time_frame=events)
    if undecodable is not None:
        rejected.append(_with_columns_of(trades, undecodable))
    # Neither side stream has state to remember what it wrote: every row is checked (they are few).
    rejected_rows = _union(rejected) if rejected else _empty(trades, reason="string", quarantined_by="string")
    streams[QUARANTINE] = NamedStream(QUARANTINE, rejected_rows.withColumn(RECHECK, F.lit(True)), keys=("trade_id",))
    late_rows = _union(late) if late else _empty(trades, reason="string", late_by_ms="double")
    late_rows = late_rows.withColumn(RECHECK, F.lit(True)).observe(LATE_TRADES, F.count(F.lit(1)).alias("rows"))
    streams[LATE_TRADES] = NamedStream(LATE_TRADES, late_rows, keys=("trade_id",))
    return streams


def _unpack(route: Route, result: DataFrame | TransformOutput, source: NamedStream) -> TransformOutput:
    """A transform's result as a TransformOutput with its keys resolved (a plain DataFrame keeps the input's)."""
    if not isinstance(result, TransformOutput):
        return TransformOutput(frame=result, keys=source.keys, aggregated=source.aggregated)
    for side, frame in (("quarantine", result.quarantine), ("late", result.late)):
        if frame is not None and "reason" not in frame.columns:
            raise PipelineGraphError(f"{route.key} ({route.name}) returned a {side} frame without a 'reason' column; "
                                     "add one that says why each row is there")
    return TransformOutput(frame=result.frame, quarantine=result.quarantine,
                           keys=result.keys if result.keys is not None else source.keys,
                           aggregated=result.aggregated or source.aggregated, late=result.late,
                           event_time_frame=result.event_time_frame)


def _union(frames: list[DataFrame]) -> DataFrame:
    return reduce(lambda a, b: a.unionByName(b, allowMissingColumns=True), frames)


def _with_columns_of(trades: DataFrame, rows: DataFrame) -> DataFrame:
    """``rows`` with the trade columns it lacks, null, first: quarantine rows have one shape whoever wrote them."""
    from pyspark.sql import functions as F

    missing = [F.lit(None).cast(field.dataType).alias(field.name) for field in trades.schema.fields
               if field.name not in rows.columns]
    return rows.select(*missing, *rows.columns)


def _empty(trades: DataFrame, **columns: str) -> DataFrame:
    """No rows, the trade columns and ``columns`` (name -> Spark type)."""
    from pyspark.sql import functions as F

    empty = trades.where(F.lit(False))
    for name, kind in columns.items():
        empty = empty.withColumn(name, F.lit(None).cast(kind))
    return empty
