"""The ingest loop: source batches -> spool -> producer, metrics on a timer, a bounded stop.

Shutdown (SIGINT, SIGTERM, the duration or record limit) closes the source first, so no new
record is accepted, and keeps taking its batches until its iterator ends (a source drains what it
already received). With the spool on, the producer then has what is left of ``STOP_BUDGET_S`` to
get acknowledgements; what Kafka has not acknowledged by then stays in the spool, and the next
start sends it first. With the spool off, the flush waits as long as librdkafka would.

With the spool on, the first batch of a run is preceded by the gap of the ingestor's own absence:
from the last record the previous run read (the spool's read mark) to this run's first record.
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

from coinstream.core.ingest.direct import DirectDelivery
from coinstream.core.ingest.gaps import absence_gap, first_read_time, last_read
from coinstream.core.ingest.gc_tuning import ingest_gc_settings
from coinstream.core.ingest.metrics import IngestMeter, percentile
from coinstream.core.ingest.report import IngestReport
from coinstream.core.ingest.spool import Spool, SpooledDelivery, default_spool_dir
from coinstream.core.kafka import (
    FeedGapAvroCodec,
    KafkaUnreachableError,
    TradeAvroCodec,
    TradeProducer,
    admin_config,
    ensure_topics,
    kafka_unreachable,
    pipeline_topics,
)
from coinstream.core.kafka.producer import DeliveryStats
from coinstream.core.lifecycle import LifecycleHooks
from coinstream.core.pipeline import Pipeline
from coinstream.core.source import Source

log = structlog.get_logger(__name__)

STOP_BUDGET_S = 8.5  # from the stop request to the spool closed: SIGTERM exits within 10 s
SOURCE_DRAIN_S = 7.5  # of that budget, how long the source may take to hand over what it holds
_MIN_FLUSH_S = 0.3

Delivery = SpooledDelivery | DirectDelivery


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
    stop_budget_s: float = STOP_BUDGET_S  # spool on: from the stop request to the spool closed


class Ingestor:
    """Runs one pipeline's source into Kafka, through the spool when ``[ingest] spool_enabled``.

    ``hook`` receives the lifecycle hooks (``PluginHost.hook``). ``source`` and ``producer`` replace
    what the pipeline would build (for tests and embedding).
    """

    def __init__(self, pipeline: Pipeline, hook: LifecycleHooks, options: IngestOptions | None = None,
                 source: Source | None = None, producer: TradeProducer | None = None) -> None:
        if pipeline.source is None and source is None:
            raise IngestConfigurationError(
                f"{pipeline.path or 'the pipeline'} has no [source]; add one, e.g. [source] name = \"tiingo\"")
        self.pipeline = pipeline
        self.hook = hook
        self.options = options or IngestOptions()
        self._source = source
        self._producer: TradeProducer | None = producer
        self._delivery: Delivery | None = None
        self._stop_reason: str | None = None
        self._stop_requested: float | None = None
        self._stop_event = asyncio.Event()
        self._absence_gaps = 0

    @property
    def delivery(self) -> DeliveryStats | None:
        """The producer's live counters (sent, acknowledged, failed), or None before the run starts."""
        return self._producer.stats if self._producer is not None and self._delivery is not None else None

    def request_stop(self, reason: str) -> None:
        """Ask the run to stop: the source is closed, what it still yields is spooled, the producer flushed."""
        if self._stop_reason is None:
            self._stop_reason = reason
            self._stop_requested = time.monotonic()
            log.info("ingest_stopping", reason=reason)
        if self._delivery is not None:
            self._delivery.stop_waiting()
        self._stop_event.set()

    def _open_spool(self) -> Spool | None:
        settings = self.pipeline.config.ingest
        if not settings.spool_enabled:
            return None
        directory = settings.spool_dir or default_spool_dir(self.pipeline.name)
        spool = Spool(directory, settings.spool_max_bytes, durable_reads=settings.spool_sync == "batch")
        return spool.open()

    def _prepare_kafka(self, spooled: bool) -> TradeProducer:
        if self._producer is not None:
            return self._producer
        kafka = self.pipeline.config.kafka
        if self.options.ensure_topics:
            try:
                ensure_topics(AdminClient(admin_config(kafka)), pipeline_topics(kafka))
            except KafkaUnreachableError as error:
                raise kafka_unreachable(kafka, error) from None
        codec = TradeAvroCodec.for_kafka(kafka)
        gap_codec = FeedGapAvroCodec.for_kafka(kafka, registry=codec.registry)
        return TradeProducer(kafka, codec, spooled=spooled, gap_codec=gap_codec)

    def _prepare(self) -> tuple[TradeProducer, Spool | None]:
        spool = self._open_spool()  # first: a second ingestor on the same spool stops here
        try:
            return self._prepare_kafka(spool is not None), spool
        except BaseException:
            if spool is not None:
                spool.close()
            raise

    def _build_source(self) -> Source:
        if self._source is not None:
            return self._source
        assert self.pipeline.source is not None
        source = self.pipeline.build(self.pipeline.source)
        if not isinstance(source, Source):
            raise IngestConfigurationError(
                f"source {self.pipeline.source.name!r} ({self.pipeline.source.component.provider}) returned "
                f"{type(source).__name__}, which is not a coinstream Source (batches(), close(), stats)")
        return source

    async def run(self) -> IngestReport:
        """Ingest until the source ends or a stop is requested; return what was done."""
        producer, spool = await asyncio.to_thread(self._prepare)
        self._producer = producer
        try:
            source = self._build_source()
        except BaseException:
            if spool is not None:
                spool.close()
            raise
        source_name = self.pipeline.source.name if self.pipeline.source is not None else ""
        delivery = self._delivery = (SpooledDelivery(producer, spool, self.pipeline.config.ingest, source_name)
                                     if spool is not None else DirectDelivery(producer))
        meter = IngestMeter(self.pipeline.name, self.hook)
        loop = asyncio.get_running_loop()
        installed = _install_signal_handlers(loop, self.request_stop)
        started = time.monotonic()
        delivery.start()
        self.hook.pipeline_started(pipeline=self.pipeline, role="ingestor")
        log.info("ingest_started", pipeline=self.pipeline.name, topic=self.pipeline.config.kafka.trades_topic,
                 feed_gaps_topic=self.pipeline.config.kafka.feed_gaps_topic,
                 spool=str(spool.directory) if spool is not None else None)
        watchers = [asyncio.create_task(self._close_on_stop(source)),
                    asyncio.create_task(self._report_periodically(meter, delivery, source))]
        if self.options.duration_s is not None:
            watchers.append(asyncio.create_task(self._stop_after(self.options.duration_s)))
        error: BaseException | None = None
        left = 0
        try:
            with ingest_gc_settings() if self.options.tune_gc else contextlib.nullcontext():
                await self._pump_until_drained(source, delivery)
        except BaseException as raised:  # reported in pipeline_stopped, then re-raised
            error = raised
            raise
        finally:
            self.request_stop(self._stop_reason or ("error" if error else "completed"))
            await source.close()
            for watcher in watchers:
                watcher.cancel()
            await asyncio.gather(*watchers, return_exceptions=True)
            assert self._stop_requested is not None
            deadline = self._stop_requested + self.options.stop_budget_s
            left = await delivery.finish(max(deadline, time.monotonic() + _MIN_FLUSH_S))
            _remove_signal_handlers(loop, installed)
            report = self._report(producer, delivery, source, time.monotonic() - started, left, error)
            log.info("ingest_finished", **{k: getattr(report, k) for k in report.__slots__})
            self.hook.pipeline_stopped(pipeline=self.pipeline, role="ingestor",
                                       reason=f"error: {error}" if error else report.reason)
        return report

    async def _pump_until_drained(self, source: Source, delivery: Delivery) -> None:
        """Run the pump; once a stop is requested, give the source SOURCE_DRAIN_S to end its iterator."""
        pump = asyncio.create_task(self._pump(source, delivery))
        stopped = asyncio.create_task(self._stop_event.wait())
        try:
            await asyncio.wait({pump, stopped}, return_when=asyncio.FIRST_COMPLETED)
            drain_s = min(SOURCE_DRAIN_S, self.options.stop_budget_s * 0.9)
            if not pump.done():
                await asyncio.wait({pump}, timeout=drain_s)
            if not pump.done():
                log.warning("source_drain_timeout", seconds=drain_s,
                            hint="the source did not end its batches after close(); what it still held is lost")
                pump.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pump
                return
            pump.result()
        finally:
            stopped.cancel()
            if not pump.done():
                pump.cancel()

    async def _pump(self, source: Source, delivery: Delivery) -> None:
        # No break on stop: after close() the source ends its iterator itself, once it has handed
        # over what it already received.
        max_trades = self.options.max_trades
        stats = delivery.producer.stats
        source_stats = source.stats
        spooled = isinstance(delivery, SpooledDelivery)  # the read mark lives in the spool's folder
        previous = delivery.spool.previous_run if isinstance(delivery, SpooledDelivery) else None
        async for batch in source.batches():
            if previous is not None:
                first = first_read_time(batch)
                if first is not None:
                    batch = [absence_gap(previous, first), *batch]
                    previous = None
                    self._absence_gaps += 1
            # getattr: a source's own stats object may predate SourceStats.session_id
            read = last_read(batch, getattr(source_stats, "session_id", "")) if spooled else None
            await delivery.accept(batch, read)
            if max_trades is not None and stats.trades_sent >= max_trades:
                self.request_stop("max_trades")

    async def _close_on_stop(self, source: Source) -> None:
        await self._stop_event.wait()
        await source.close()

    async def _stop_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        self.request_stop("duration")

    async def _report_periodically(self, meter: IngestMeter, delivery: Delivery, source: Source) -> None:
        interval = self.options.metrics_interval_s
        producer = delivery.producer
        stats = producer.stats
        while True:
            await asyncio.sleep(min(interval, 0.5))
            producer.poll(0)  # serve delivery reports even while the source is quiet
            producer.outage.check(stats.trades_acked + stats.dead_letters_acked, delivery.waiting)
            if meter.due(interval):
                figures = meter.emit(stats, source.stats, interval, delivery.figures())
                if self.options.on_metrics is not None:
                    self.options.on_metrics(figures)

    def _report(self, producer: TradeProducer, delivery: Delivery, source: Source, duration_s: float, left: int,
                error: BaseException | None) -> IngestReport:
        stats = producer.stats
        latencies = list(stats.ack_latencies_ms)
        spool = delivery.figures()
        full_episodes = int(spool.get("spool_full_episodes", 0))
        return IngestReport(
            trades_sent=stats.trades_sent, trades_acked=stats.trades_acked,
            dead_letters_sent=stats.dead_letters_sent, dead_letters_acked=stats.dead_letters_acked,
            failed=stats.failed, pending=max(stats.pending, left), reconnects=source.stats.reconnects,
            gaps=source.stats.gaps + full_episodes + self._absence_gaps, duration_s=duration_s,
            feed_gaps_sent=stats.feed_gaps_sent, feed_gaps_acked=stats.feed_gaps_acked,
            reason=f"error: {type(error).__name__}" if error else (self._stop_reason or "completed"),
            ack_latency_p50_ms=percentile(latencies, 0.50), ack_latency_p99_ms=percentile(latencies, 0.99),
            frames_received=source.stats.frames, trades_received=source.stats.trades,
            dead_letters_received=source.stats.dead_letters, source_counts=dict(source.stats.extra),
            spooled=isinstance(delivery, SpooledDelivery), spool_records=int(spool.get("spool_records", 0)),
            spool_bytes=int(spool.get("spool_bytes", 0)), resent_on_start=int(spool.get("resent_on_start", 0)),
            spool_full_episodes=full_episodes, spool_full_s=float(spool.get("spool_full_s", 0.0)),
            kafka_outages=producer.outage.outages, truncated=stats.truncated, retried=stats.retried,
            spool_written_bytes=int(spool.get("spool_written_bytes", 0)),
            spool_written_records=int(spool.get("spool_written_records", 0)),
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
