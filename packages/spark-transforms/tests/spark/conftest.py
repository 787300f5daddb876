"""The Spark tier of coinstream-spark-transforms: the registered transforms on ``createDataFrame`` input.

A local SparkSession (no UI port, no Kafka, no stack) runs the transforms exactly as the
processor wires them (:func:`coinstream.spark.streams.build_streams`). The transforms are streaming ones
(deduplicate keeps state, which Spark refuses on a static DataFrame), so each micro-batch of the test's
rows is made with ``createDataFrame`` and written as one Parquet file, and the folder is read as a
stream, one file per micro-batch. A test reads the rows of a named stream the way a sink gets them: a
query with the availableNow trigger, per micro-batch. Each test takes seconds; the session starts once
for the folder.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from coinstream.core import PluginHost, parse_pipeline
from coinstream.spark.jars import SparkJarsError, ensure_jars
from coinstream.spark.api import RECHECK
from coinstream.spark.session import build_session
from coinstream.spark.settings import SparkSettings
from coinstream.spark.streams import NamedStream, build_streams, plan_streams

# Kafka plays no part here, so the trades can sit at any fixed time: an hour, so windows are aligned.
T0 = datetime(2026, 1, 5, 10, 0, 0)
TRADE_COLUMNS = ("trade_id", "ticker", "base_currency", "quote_currency", "exchange", "price", "size", "trade_time",
                 "ingest_time", "source", "pair_rule")


def at(seconds: float) -> datetime:
    """T0 + seconds, as Spark returns a timestamp (naive, UTC: the session time zone is UTC)."""
    return T0 + timedelta(seconds=seconds)


def trade(trade_id: str | None, seconds: float | None, price: float | None = 100.0, size: float | None = 1.0,
          ticker: str | None = "btcusdt", exchange: str | None = "binance", ingest_delay_s: float = 0.25,
          base_currency: str | None = None, quote_currency: str | None = None,
          pair_rule: str | None = None) -> tuple[Any, ...]:
    """A decoded trade row ``seconds`` after T0 (None: no trade_time) that reached the ingestor
    ``ingest_delay_s`` later (negative: earlier), in :data:`TRADE_COLUMNS` order."""
    trade_time = None if seconds is None else at(seconds)
    ingest_time = at((seconds or 0.0) + ingest_delay_s)
    return (trade_id, ticker, base_currency, quote_currency, exchange, price, size, trade_time, ingest_time, "test",
            pair_rule)


def trade_schema() -> Any:
    """The columns the processor decodes from the trades topic (the Trade Avro schema's fields)."""
    from pyspark.sql.types import DoubleType, StringType, StructField, StructType, TimestampType

    types = {"price": DoubleType(), "size": DoubleType(), "trade_time": TimestampType(),
             "ingest_time": TimestampType()}
    return StructType([StructField(name, types.get(name, StringType())) for name in TRADE_COLUMNS])


def processor_jars_if_installed() -> list[Path]:
    """The processor's jars where a provider has them (the workspace: coinstream-devstack's), else none.

    The tier needs no jar, but its JVM outlives its session: a later session in the same pytest run
    (tests/delta, tests/processor) gets this JVM back, and a JVM started without the Kafka, Delta and
    S3A jars cannot load them afterwards ("Failed to find data source: kafka").
    """
    try:
        return ensure_jars()
    except SparkJarsError:  # spark-transforms' own test environment: no provider, and no later Kafka test
        return []


@pytest.fixture(scope="package")
def spark() -> Iterator[Any]:
    """One local[2] session for this folder, built as the processor builds its own (UTC, no UI).

    Package scope: stopped when the folder's tests end, so a later folder's fixture (the Kafka-backed
    tests/processor, with its S3A settings) builds its own session instead of getting this one back.
    """
    session = build_session(SparkSettings(master="local[2]", driver_memory="1g", shuffle_partitions=2,
                                          conf={"spark.ui.enabled": "false"}), jars=processor_jars_if_installed())
    yield session
    session.stop()


class Streams:
    """The named streams a pipeline's transforms made of the input micro-batches, and their rows."""

    def __init__(self, streams: dict[str, NamedStream], checkpoints: Path) -> None:
        self.streams = streams
        self.checkpoints = checkpoints
        self._batches: dict[str, dict[int, list[dict[str, Any]]]] = {}

    def batches(self, name: str) -> dict[int, list[dict[str, Any]]]:
        """The rows of stream ``name`` per micro-batch id, ``_recheck`` included (read once, then kept)."""
        if name not in self._batches:
            stream = self.streams[name]
            collected: dict[int, list[dict[str, Any]]] = {}

            def collect(batch: Any, batch_id: int) -> None:
                collected[batch_id] = [row.asDict(recursive=True) for row in batch.collect()]

            query = (stream.frame.writeStream.foreachBatch(collect)
                     .outputMode("update" if stream.aggregated else "append").trigger(availableNow=True)
                     .option("checkpointLocation", str(self.checkpoints / name)).start())
            query.awaitTermination()
            self._batches[name] = collected
        return self._batches[name]

    def rows(self, name: str) -> list[dict[str, Any]]:
        """The rows of stream ``name`` as a sink writes them (no ``_recheck``; an aggregate's latest value per
        key), sorted by their columns."""
        stream = self.streams[name]
        latest: dict[tuple[Any, ...], dict[str, Any]] = {}
        rows: list[dict[str, Any]] = []
        for batch_id in sorted(self.batches(name)):
            for row in self.batches(name)[batch_id]:
                row = {column: value for column, value in row.items() if column != RECHECK}
                if stream.aggregated:
                    latest[tuple(row[key] for key in stream.keys)] = row
                else:
                    rows.append(row)
        rows.extend(latest.values())
        return sorted(rows, key=lambda row: tuple(str(value) for value in row.values()))

    def by_id(self, name: str) -> dict[str, dict[str, Any]]:
        """The rows of a trade stream by trade_id."""
        return {row["trade_id"]: row for row in self.rows(name)}

    def ids(self, name: str) -> list[str]:
        """The trade ids of a trade stream, sorted, repeats kept."""
        return sorted(row["trade_id"] for row in self.rows(name))


@pytest.fixture
def run_transforms(spark, host: PluginHost, tmp_path: Path) -> Callable[..., Streams]:
    """Run ``[[transforms]]`` entries (as the pipeline TOML parses) on micro-batches of trade rows, the way the
    processor wires them; return the named streams: ``run_transforms(transforms, first_batch, second_batch)``."""
    runs = itertools.count()

    def run(transforms: list[dict[str, Any]], *batches: Sequence[tuple[Any, ...]]) -> Streams:
        pipeline = parse_pipeline({"pipeline": {"name": "spark-tier"}, "transforms": transforms,
                                   "sinks": [{"name": "memory"}]}, host.registry)
        routes = plan_streams(pipeline.transforms, pipeline.sinks)
        built = [pipeline.build(component) for component in pipeline.transforms]
        folder = tmp_path / f"run-{next(runs)}"
        for rows in batches:
            spark.createDataFrame(list(rows), trade_schema()).coalesce(1).write.mode("append").parquet(
                str(folder / "input"))
        source = spark.readStream.schema(trade_schema()).option("maxFilesPerTrigger", 1).parquet(str(folder / "input"))
        return Streams(build_streams(source, list(zip(routes, built, strict=True))), folder / "checkpoints")

    return run
