"""The ingest loop: source batches -> producer, metrics on a timer, a flush before exit.

Shutdown (SIGINT, SIGTERM, the duration or record limit) closes the source first, so no new
record is accepted, then flushes the producer: every record the source yielded is either
acknowledged by the cluster or reported as failed before the process exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from confluent_kafka.admin import AdminClient

from coinstream.core.ingest.gc_tuning import ingest_gc_settings
from coinstream.core.ingest.metrics import IngestMeter, percentile
from coinstream.core.ingest.report import IngestReport
from coinstream.core.kafka import TradeAvroCodec, TradeProducer, admin_config, ensure_topics, pipeline_topics
from coinstream.core.kafka.avro import schema_registry_client, trades_subject
from coinstream.core.kafka.producer import DeliveryStats
from coinstream.core.pipeline import Pipeline
from coinstream.core.source import Source, SourceContext

log = structlog.get_logger(__name__)

FLUSH_TIMEOUT_S = 120.0


class IngestConfigurationError(Exception):
    """The pipeline cannot be ingested as configured (no source, for example)."""


@dataclass(frozen=True, slots=True)
class IngestOptions:
    """Bounds and reporting of one run: stop after a duration or a number of trades, or never."""

    duration_s: float | None = None
    max_trades: int | None = None
    metrics_interval_s: float = 5.0
    ensure_topics: bool = True
    on_metrics: Callable[[dict[str, Any]], None] | None = None
    tune_gc: bool = True  # see coinstream.core.ingest.gc_tuning; off leaves the process's GC untouched


class Ingestor:
    """Runs one pipeline's source into Kafka."""

    def __init__(self, pipeline: Pipeline, hook: Any, options: IngestOptions | None = None,
                 source: Source | None = None) -> None:
        if pipeline.source is None and source is None:
            raise IngestConfigurationError(
                f"{pipeline.path or 'the pipeline'} has no [source]; add one, e.g. [source] name = \"tiingo\"")
        self.pipeline = pipeline
        self.hook = hook
        self.options = options or IngestOptions()
        self._source = source
        self._producer: TradeProducer | None = None
        self._stop_reason: str | None = None
        self._stop_event = asyncio.Event()

    @property
    def delivery(self) -> DeliveryStats | None:
        """The producer's live counters (sent, acknowledged, failed), or None before the run starts."""
        return self._producer.stats if self._producer is not None else None

    def request_stop(self, reason: str) -> None:
        """Ask the run to stop: the source is closed and the producer flushed."""
        if self._stop_reason is None:
            self._stop_reason = reason
            log.info("ingest_stopping", reason=reason)
        self._stop_event.set()

    def _prepare_kafka(self) -> TradeProducer:
        kafka = self.pipeline.config.kafka
        if self.options.ensure_topics:
            ensure_topics(AdminClient(admin_config(kafka)), pipeline_topics(kafka))
        codec = TradeAvroCodec(schema_registry_client(kafka), trades_subject(kafka.trades_topic))
        return TradeProducer(kafka, codec)

    def _build_source(self) -> Source:
        if self._source is not None:
            return self._source
        assert self.pipeline.source is not None
        context = SourceContext(pipeline_name=self.pipeline.name, source_name=self.pipeline.source.name)
        source = self.pipeline.source.build(context)
        if not isinstance(source, Source):
            raise IngestConfigurationError(
                f"source {self.pipeline.source.name!r} ({self.pipeline.source.component.provider}) returned "
                f"{type(source).__name__}, which is not a coinstream Source (batches(), close(), stats)")
        return source

    async def run(self) -> IngestReport:
        """Ingest until the source ends or a stop is requested; return what was done."""
        producer = self._producer = await asyncio.to_thread(self._prepare_kafka)
        source = self._build_source()
        meter = IngestMeter(self.pipeline.name, self.hook)
        loop = asyncio.get_running_loop()
        installed = _install_signal_handlers(loop, self.request_stop)
        started = time.monotonic()
        self.hook.pipeline_started(pipeline=self.pipeline, role="ingestor")
        log.info("ingest_started", pipeline=self.pipeline.name, topic=self.pipeline.config.kafka.trades_topic)
        watchers = [asyncio.create_task(self._close_on_stop(source)),
                    asyncio.create_task(self._report_periodically(meter, producer, source))]
        if self.options.duration_s is not None:
            watchers.append(asyncio.create_task(self._stop_after(self.options.duration_s)))
        error: BaseException | None = None
        try:
            with ingest_gc_settings() if self.options.tune_gc else contextlib.nullcontext():
                await self._pump(source, producer)
        except BaseException as raised:  # reported in pipeline_stopped, then re-raised
            error = raised
            raise
        finally:
            self.request_stop(self._stop_reason or ("error" if error else "completed"))
            await source.close()
            for watcher in watchers:
                watcher.cancel()
            await asyncio.gather(*watchers, return_exceptions=True)
            remaining = await asyncio.to_thread(producer.flush, FLUSH_TIMEOUT_S)
            _remove_signal_handlers(loop, installed)
            report = self._report(producer, source, time.monotonic() - started, remaining, error)
            log.info("ingest_finished", **{k: getattr(report, k) for k in report.__slots__})
            self.hook.pipeline_stopped(pipeline=self.pipeline, role="ingestor",
                                       reason=f"error: {error}" if error else report.reason)
        return report

    async def _pump(self, source: Source, producer: TradeProducer) -> None:
        max_trades = self.options.max_trades
        async for batch in source.batches():
            producer.send(batch)
            if max_trades is not None and producer.stats.trades_sent >= max_trades:
                self.request_stop("max_trades")
            if self._stop_event.is_set():
                break

    async def _close_on_stop(self, source: Source) -> None:
        await self._stop_event.wait()
        await source.close()

    async def _stop_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        self.request_stop("duration")

    async def _report_periodically(self, meter: IngestMeter, producer: TradeProducer, source: Source) -> None:
        interval = self.options.metrics_interval_s
        while True:
            await asyncio.sleep(min(interval, 0.5))
            producer.poll(0)  # serve delivery reports even while the source is quiet
            if meter.due(interval):
                figures = meter.emit(producer.stats, source.stats, interval)
                if self.options.on_metrics is not None:
                    self.options.on_metrics(figures)

    def _report(self, producer: TradeProducer, source: Source, duration_s: float, remaining: int,
                error: BaseException | None) -> IngestReport:
        stats = producer.stats
        latencies = list(stats.ack_latencies_ms)
        return IngestReport(
            trades_sent=stats.trades_sent, trades_acked=stats.trades_acked,
            dead_letters_sent=stats.dead_letters_sent, dead_letters_acked=stats.dead_letters_acked,
            failed=stats.failed, pending=max(stats.pending, remaining), reconnects=source.stats.reconnects,
            gaps=source.stats.gaps, duration_s=duration_s,
            reason=f"error: {type(error).__name__}" if error else (self._stop_reason or "completed"),
            ack_latency_p50_ms=percentile(latencies, 0.50), ack_latency_p99_ms=percentile(latencies, 0.99),
            frames_received=source.stats.frames, trades_received=source.stats.trades,
            dead_letters_received=source.stats.dead_letters, source_counts=dict(source.stats.extra),
        )


def _install_signal_handlers(loop: asyncio.AbstractEventLoop, stop: Callable[[str], None]) -> list[int]:
    installed = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, stop, f"signal {signal.Signals(signum).name}")
            installed.append(signum)
    return installed


def _remove_signal_handlers(loop: asyncio.AbstractEventLoop, installed: list[int]) -> None:
    for signum in installed:
        loop.remove_signal_handler(signum)
