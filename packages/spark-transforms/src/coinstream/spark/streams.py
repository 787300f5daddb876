"""The named streams of a pipeline: routing the transforms in file order, checked before Spark starts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from coinstream.core import ConfiguredComponent
from coinstream.spark.api import QUARANTINE, TRADES, Transform, TransformOutput

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


class PipelineGraphError(Exception):
    """The pipeline's transforms or sinks name a stream that nothing produces (the message says which)."""


@dataclass(frozen=True, slots=True)
class Route:
    """Which stream a configured transform reads and which it writes."""

    key: str
    name: str
    input: str
    output: str


@dataclass(frozen=True, slots=True)
class NamedStream:
    """A stream sinks can select with ``input = "<name>"``."""

    name: str
    frame: DataFrame
    keys: tuple[str, ...] = ()
    aggregated: bool = False


def _setting(settings: BaseModel | Mapping[str, Any], name: str) -> Any:
    if isinstance(settings, Mapping):
        return settings.get(name)
    return getattr(settings, name, None)


def route_of(component: ConfiguredComponent) -> Route:
    """The route from a transform's settings (``input``/``output``; defaults: trades -> its input)."""
    source = _setting(component.settings, "input") or TRADES
    target = _setting(component.settings, "output") or source
    return Route(component.key, component.name, str(source), str(target))


def sink_input(component: ConfiguredComponent) -> str:
    """The stream a sink writes (its ``input`` setting; default trades)."""
    return str(_setting(component.settings, "input") or TRADES)


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
        if route.output == QUARANTINE:
            raise PipelineGraphError(f"{route.key} ({route.name}) writes to {QUARANTINE!r}, which is reserved for "
                                     "rejected rows; choose another output name")
        available.add(route.output)
        routes.append(route)
    available.add(QUARANTINE)
    for component in sinks:
        wanted = sink_input(component)
        if wanted not in available:
            raise PipelineGraphError(
                f"{component.key} ({component.name}) writes stream {wanted!r}, which no transform produces "
                f"(streams: {', '.join(sorted(available))}); add the transform that writes it or fix input"
            )
    return routes


def build_streams(trades: DataFrame, transforms: Sequence[tuple[Route, Transform]]) -> dict[str, NamedStream]:
    """Apply the transforms in order to the decoded trades; return every named stream.

    ``quarantine`` is the union (by column name) of every transform's rejected rows, each tagged
    with ``quarantined_by``; it exists even when no transform rejects (then it is empty).
    """
    from pyspark.sql import functions as F

    streams = {TRADES: NamedStream(TRADES, trades, keys=("trade_id",))}
    rejected: list[DataFrame] = []
    for route, transform in transforms:
        source = streams[route.input]
        result = transform(source.frame)
        if isinstance(result, TransformOutput):
            frame, keys = result.frame, result.keys if result.keys is not None else source.keys
            aggregated = result.aggregated or source.aggregated
            if result.quarantine is not None:
                if "reason" not in result.quarantine.columns:
                    raise PipelineGraphError(f"{route.key} ({route.name}) returned a quarantine without a 'reason' "
                                             "column; add one that says why each row was rejected")
                rejected.append(result.quarantine.withColumn("quarantined_by", F.lit(route.name)))
        else:
            frame, keys, aggregated = result, source.keys, source.aggregated
        streams[route.output] = NamedStream(route.output, frame, keys=keys, aggregated=aggregated)
    if rejected:
        quarantine = reduce(lambda a, b: a.unionByName(b, allowMissingColumns=True), rejected)
    else:
        quarantine = (trades.where(F.lit(False)).withColumn("reason", F.lit(None).cast("string"))
                      .withColumn("quarantined_by", F.lit(None).cast("string")))
    streams[QUARANTINE] = NamedStream(QUARANTINE, quarantine)
    return streams
