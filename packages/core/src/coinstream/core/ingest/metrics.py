"""The ingestor's periodic metrics: a structlog event and the batch_committed hook."""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import structlog

from coinstream.core.kafka.producer import DeliveryStats
from coinstream.core.lifecycle import LifecycleHooks
from coinstream.core.metrics import BatchMetrics
from coinstream.core.source import SourceStats

log = structlog.get_logger(__name__)


def percentile(samples: Sequence[float], fraction: float) -> float | None:
    """Return the sample at ``fraction`` (0..1) of the sorted samples, or None when there are none."""
    if not samples:
        return None
    if len(samples) == 1:
        return float(samples[0])
    cut = statistics.quantiles(samples, n=1000, method="inclusive")
    return float(cut[min(len(cut) - 1, max(0, round(fraction * 1000) - 1))])


@dataclass
class IngestMeter:
    """Turns the cumulative counters into per-interval rates, logged and passed to the hook."""

    pipeline_name: str
    hook: LifecycleHooks
    started: float = field(default_factory=time.monotonic)
    _interval: int = 0
    _last_time: float = field(default_factory=time.monotonic)
    _last_acked: int = 0
    _last_latency_count: int = 0

    def due(self, interval_s: float) -> bool:
        """Return True when at least ``interval_s`` passed since the previous snapshot."""
        return time.monotonic() - self._last_time >= interval_s

    def snapshot(self, delivery: DeliveryStats, source: SourceStats,
                 spool: dict[str, int | float] | None = None) -> dict[str, float | int | None]:
        """Return the figures since the previous snapshot (and the running totals, the spool's among them)."""
        now = time.monotonic()
        elapsed = max(now - self._last_time, 1e-9)
        acked = delivery.trades_acked
        latencies = list(delivery.ack_latencies_ms)
        new_samples = min(len(latencies), max(0, self._total_latency_count(delivery) - self._last_latency_count))
        recent = latencies[-new_samples:] if new_samples else []
        figures: dict[str, float | int | None] = {
            "trades_in_interval": acked - self._last_acked,
            "trades_per_s": round((acked - self._last_acked) / elapsed, 1),
            "trades_acked": acked,
            "dead_letters": delivery.dead_letters_sent,
            "feed_gaps": delivery.feed_gaps_acked,
            "failed": delivery.failed,
            "pending": delivery.pending,
            "ack_p50_ms": _round(percentile(recent, 0.50)),
            "ack_p99_ms": _round(percentile(recent, 0.99)),
            "reconnects": source.reconnects,
            "gaps": source.gaps,
            **(spool or {}),
        }
        self._last_time, self._last_acked = now, acked
        self._last_latency_count = self._total_latency_count(delivery)
        return figures

    @staticmethod
    def _total_latency_count(delivery: DeliveryStats) -> int:
        return delivery.trades_acked

    def emit(self, delivery: DeliveryStats, source: SourceStats, interval_s: float,
             spool: dict[str, int | float] | None = None) -> dict[str, float | int | None]:
        """Log ``ingest_metrics`` and call the batch_committed hook for this interval."""
        figures = self.snapshot(delivery, source, spool)
        log.info("ingest_metrics", **figures)
        self.hook.batch_committed(metrics=BatchMetrics(
            role="ingestor", pipeline_name=self.pipeline_name, batch_id=self._interval,
            rows=int(figures["trades_in_interval"] or 0), rows_per_second=float(figures["trades_per_s"] or 0),
            duration_ms=interval_s * 1000, dead_letters=int(figures["dead_letters"] or 0),
            extra={k: v for k, v in figures.items() if v is not None},
        ))
        self._interval += 1
        return figures


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
