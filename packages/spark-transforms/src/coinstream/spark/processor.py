"""The processor: Kafka -> Avro decoding -> transforms -> one streaming query per sink.

A sink of ``input = "feed_gaps"`` gets the feed gaps topic instead, decoded, through no transform
(:mod:`coinstream.spark.feed_gaps`).

Lifecycle: :meth:`Processor.prepare` checks everything that needs no JVM (the stream graph, the
components, the writer schemas in the registry); :meth:`Processor.start` builds the session and
starts the queries; :meth:`Processor.run` does both, reports progress until the queries end (or
the duration passes, or a signal arrives) and stops them, calling the lifecycle hooks.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from coinstream.core import (
    BatchMetrics,
    ConfiguredComponent,
    LifecycleHooks,
    Pipeline,
    ServiceUnreachableError,
    feed_gap_schema_str,
)
from coinstream.core.kafka import require_brokers
from coinstream.spark.api import ENGINE, FEED_GAPS, SinkContext, Trigger, sink_spark_conf
from coinstream.spark.decode import decode_trades, kafka_options, read_kafka, split_trades
from coinstream.spark.feed_gaps import FEED_GAP_KEYS, feed_gap_rows
from coinstream.spark.intervals import spark_interval
from coinstream.spark.jars import ensure_jars, listed_jars
from coinstream.spark.progress import ProgressWatcher
from coinstream.spark.session import apply_runtime_conf, build_session
from coinstream.spark.settings import SparkSettings
from coinstream.spark.streams import NamedStream, PipelineGraphError, Route, build_streams, plan_streams, sink_input
from coinstream.spark.writer_schemas import (
    WriterSchema,
    check_readable,
    fetch_feed_gap_writer_schemas,
    fetch_writer_schemas,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession
    from pyspark.sql.streaming import StreamingQuery

log = structlog.get_logger(__name__)

# The message of a raise_error() in coinstream's expressions. Anchored on Spark's error class: the query
# plan, which an error may quote, holds the same "coinstream: ..." literals with column names inside.
_RAISED = re.compile(r"USER_RAISED_EXCEPTION\] coinstream: (.+?)(?:\s+SQLSTATE:|\n|$)")
# A coinstream exception raised by a sink's foreachBatch function, as its Python traceback ends.
_PYTHON_RAISED = re.compile(r"^coinstream\.[\w.]+\.(\w+): (.+)$", re.MULTILINE)


class ProcessorError(Exception):
    """A streaming query failed or could not start (the message says why and what to do)."""


@dataclass(frozen=True, slots=True)
class ProcessorOptions:
    """Run-time choices the CLI or a test makes on top of the pipeline file."""

    available_now: bool | None = None
    duration_s: float | None = None
    poll_interval_s: float = 0.5


@dataclass
class ProcessorReport:
    """What a run did: per query, batches and input rows, and why it stopped."""

    reason: str = "completed"
    duration_s: float = 0.0
    batches: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    metrics: list[BatchMetrics] = field(default_factory=list)  # the last HISTORY_LIMIT batches (progress.py)


@dataclass(frozen=True, slots=True)
class _PlannedSink:
    component: ConfiguredComponent
    sink: Any
    stream: str
    query: str


class Processor:
    """Runs one pipeline's processor (see the module docstring); ``hook``: the lifecycle hooks (``PluginHost.hook``)."""

    def __init__(self, pipeline: Pipeline, hook: LifecycleHooks, options: ProcessorOptions | None = None,
                 spark: SparkSession | None = None) -> None:
        self.pipeline = pipeline
        self.hook = hook
        self.options = options or ProcessorOptions()
        section = pipeline.section("spark")
        self.settings = section if isinstance(section, SparkSettings) else SparkSettings()
        self.spark = spark
        self.queries: list[StreamingQuery] = []
        self.watcher = ProgressWatcher(pipeline.name, self._emit)
        self._routes: list[Route] = []
        self._transforms: list[Any] = []
        self._sinks: list[_PlannedSink] = []
        self._writers: list[WriterSchema] = []
        self._gap_writers: list[WriterSchema] = []

    # -- preparation (no JVM) ------------------------------------------------------------------
    def prepare(self) -> None:
        """Check the stream graph, build the transforms and sinks, load and check the writer schemas."""
        if not self.pipeline.sinks:
            raise PipelineGraphError("the pipeline has no [[sinks]]: add one, e.g. [[sinks]] name = \"console\"")
        self._routes = plan_streams(self.pipeline.transforms, self.pipeline.sinks)
        for component in (*self.pipeline.transforms, *self.pipeline.sinks):
            engine = component.component.engine
            if engine not in (None, ENGINE):
                raise PipelineGraphError(f"{component.key} ({component.name}) is a {engine} component; the Spark "
                                         "processor runs only engine='spark' transforms and sinks")
        self._transforms = [self.pipeline.build(component) for component in self.pipeline.transforms]
        self._sinks = self._plan_sinks()
        self._writers = fetch_writer_schemas(self.pipeline.config.kafka)
        check_readable(self._writers)
        if any(planned.stream == FEED_GAPS for planned in self._sinks):
            self._gap_writers = fetch_feed_gap_writer_schemas(self.pipeline.config.kafka)
            check_readable(self._gap_writers, feed_gap_schema_str())
        # Spark's Kafka source waits for ever on brokers that do not answer: ask them first, in seconds.
        require_brokers(self.pipeline.config.kafka)

    def _plan_sinks(self) -> list[_PlannedSink]:
        planned, seen = [], {}
        for component in self.pipeline.sinks:
            stream = sink_input(component)
            query = getattr(component.settings, "query", None) or f"{component.name}-{stream}"
            query = re.sub(r"[^a-z0-9_-]", "_", str(query).lower())
            if query in seen:
                raise PipelineGraphError(
                    f"{component.key} and {seen[query]} would both be query {query!r} with one checkpoint; set "
                    f"query = \"...\" on one of them"
                )
            seen[query] = component.key
            planned.append(_PlannedSink(component, self.pipeline.build(component), stream, query))
        return planned

    def checkpoint_of(self, query: str) -> str:
        """The checkpoint folder of one query: ``<checkpoint_location>/<pipeline>/<query>``."""
        base = self.settings.checkpoint_location
        if "://" not in base:
            base = str(Path(base).expanduser().resolve())
        return f"{base.rstrip('/')}/{self.pipeline.name}/{query}"

    @property
    def trigger(self) -> Trigger:
        """availableNow when asked (options, then [spark] available_now), else the trigger interval."""
        available_now = self.options.available_now
        if available_now is None:
            available_now = self.settings.available_now
        return Trigger(processing_time=spark_interval(self.settings.trigger_interval), available_now=available_now)

    # -- start ---------------------------------------------------------------------------------
    def start(self) -> list[StreamingQuery]:
        """Prepare (if not done), build the session and start one query per sink; return them."""
        if not self._sinks:
            self.prepare()
        sink_conf: dict[str, str] = {}
        for planned in self._sinks:
            sink_conf.update(sink_spark_conf(planned.sink))
        if self.spark is None:
            jars: list[Path] = []
            if not self.settings.connect_url:
                jars = (listed_jars(Path(self.settings.jars_dir)) if self.settings.jars_dir else ensure_jars())
            self.spark = build_session(self.settings, jars, sink_conf)
        else:
            apply_runtime_conf(self.spark, {"spark.sql.session.timeZone": "UTC", **sink_conf})
        options = kafka_options(self.pipeline.config.kafka, self.settings, self.pipeline.name)
        raw = read_kafka(self.spark, options)
        if self.settings.on_undecodable == "stop":
            trades, undecodable = decode_trades(raw, self._writers), None
        else:
            trades, undecodable = split_trades(raw, self._writers)
        streams = build_streams(trades, list(zip(self._routes, self._transforms, strict=True)), undecodable)
        if self._gap_writers:
            kafka = self.pipeline.config.kafka
            gap_options = kafka_options(kafka, self.settings, self.pipeline.name, topic=kafka.feed_gaps_topic)
            gap_options.pop("maxOffsetsPerTrigger", None)  # gaps are few: no cap on a batch
            streams[FEED_GAPS] = NamedStream(FEED_GAPS, feed_gap_rows(read_kafka(self.spark, gap_options),
                                                                      self._gap_writers), keys=FEED_GAP_KEYS)
        trigger = self.trigger
        for planned in self._sinks:
            stream = streams[planned.stream]
            query_name = f"{self.pipeline.name}-{planned.query}"
            context = SinkContext(
                spark=self.spark, pipeline_name=self.pipeline.name, stream=planned.stream, query_name=query_name,
                checkpoint_location=self.checkpoint_of(planned.query), trigger=trigger, keys=stream.keys,
                aggregated=stream.aggregated, report=self.watcher.reporter(query_name))
            try:
                query = planned.sink.start(stream.frame, context)
            except ServiceUnreachableError:
                self.stop()
                raise  # its own line names the endpoint and the fix; the command exits 2
            except Exception as error:
                self.stop()
                raise ProcessorError(_start_failure(planned, error)) from error
            self.watcher.watch(query, planned.stream, aggregated=stream.aggregated)
            self.queries.append(query)
            log.info("query_started", query=query_name, stream=planned.stream, sink=planned.component.name,
                     checkpoint=context.checkpoint_location, trigger=trigger.as_kwargs())
        return self.queries

    # -- run -----------------------------------------------------------------------------------
    def run(self) -> ProcessorReport:
        """Start, report every committed micro-batch, stop; call the lifecycle hooks around it."""
        report = ProcessorReport()
        started = time.monotonic()
        self.prepare()
        self.hook.pipeline_started(pipeline=self.pipeline, role="processor")
        try:
            self.start()
            report.reason = self._wait(started)
        except KeyboardInterrupt:
            report.reason = "signal"
        except ProcessorError as error:
            report.reason = f"error: {error}"
            raise
        finally:
            self.stop()
            self.watcher.poll()
            report.duration_s = time.monotonic() - started
            report.batches = dict(self.watcher.batches)
            report.rows = dict(self.watcher.rows)
            report.metrics = list(self.watcher.history)
            self.hook.pipeline_stopped(pipeline=self.pipeline, role="processor", reason=report.reason)
            log.info("processor_stopped", reason=report.reason, seconds=round(report.duration_s, 1),
                     batches=report.batches, rows=report.rows)
        return report

    def _wait(self, started: float) -> str:
        deadline = None if self.options.duration_s is None else started + self.options.duration_s
        while True:
            self.watcher.poll()
            for query in self.queries:
                error = query.exception()
                if error is not None:
                    raise ProcessorError(query_failure(query.name, error))
            if not any(query.isActive for query in self.queries):
                return "completed"
            if deadline is not None and time.monotonic() >= deadline:
                return "duration"
            active = next(query for query in self.queries if query.isActive)
            try:
                active.awaitTermination(self.options.poll_interval_s)
            except Exception as error:  # StreamingQueryException: the query failed while we waited
                raise ProcessorError(query_failure(active.name, error)) from error

    def stop(self) -> None:
        """Stop every query this processor started (a stopped query resumes from its checkpoint)."""
        for query in self.queries:
            if query.isActive:
                query.stop()

    def _emit(self, metrics: BatchMetrics) -> None:
        self.hook.batch_committed(metrics=metrics)


def query_failure(name: str | None, error: BaseException) -> str:
    """The message of a failed query: coinstream's own raised message when there is one."""
    text = str(error)
    match = _RAISED.search(text)
    if match:
        return f"query {name} stopped: {match.group(1).strip()}"
    if "Redefining watermark is disallowed" in text:
        return (f"query {name} stopped: a transform sets a watermark downstream of another one, which Spark refuses "
                "once the first watermark moves: deduplicate already gives ohlcv and exchange_stats a trade_time "
                "watermark (its event_time_watermark), so remove their own watermark setting")
    raised = _PYTHON_RAISED.findall(text)
    if raised:
        kind, message = raised[-1]
        return f"query {name} stopped: {message.strip()} ({kind})"
    first = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    return f"query {name} stopped: {first}"


def _start_failure(planned: _PlannedSink, error: Exception) -> str:
    text = str(error)
    if "without watermark" in text:
        return (f"{planned.component.key} ({planned.component.name}) writes the aggregated stream "
                f"{planned.stream!r}, which has no event-time watermark: put deduplicate before the aggregating "
                "transform or set its watermark = \"10 minutes\"")
    first = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    return f"{planned.component.key} ({planned.component.name}) could not start its query: {first}"
