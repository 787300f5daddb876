"""What one ingestor run did, for the CLI's summary, tests and benchmarks."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class IngestReport:
    """Counts of one run: what the source received (frames, and the trades and dead letters made of
    them) and what Kafka acknowledged; ``pending`` is what was handed to Kafka but neither
    acknowledged nor failed."""

    trades_sent: int
    trades_acked: int
    dead_letters_sent: int
    dead_letters_acked: int
    failed: int
    pending: int
    reconnects: int
    gaps: int
    duration_s: float
    reason: str
    ack_latency_p50_ms: float | None
    ack_latency_p99_ms: float | None
    frames_received: int = 0
    trades_received: int = 0
    dead_letters_received: int = 0
    source_counts: dict[str, int] | None = None  # the source's own counters (quotes, heartbeats, ...)

    @property
    def clean(self) -> bool:
        """True when every record sent was acknowledged by the cluster."""
        return self.failed == 0 and self.pending == 0

    @property
    def trades_per_second(self) -> float:
        """Acknowledged trades per second of wall time."""
        return self.trades_acked / self.duration_s if self.duration_s > 0 else 0.0
