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
    # FeedGap records sent and acknowledged: the source's, the ingestor's own absence, full spools
    feed_gaps_sent: int = 0
    feed_gaps_acked: int = 0
    # The spool ([ingest] spool_enabled): records not acknowledged at the end stay in it for the next
    # start (``pending`` counts them too); ``gaps`` includes the spool-full episodes, when the feed was
    # not read, and the gap of the ingestor's absence before this run.
    spooled: bool = False
    spool_records: int = 0
    spool_bytes: int = 0
    resent_on_start: int = 0  # records an earlier run left in the spool, sent again by this one
    spool_full_episodes: int = 0
    spool_full_s: float = 0.0
    kafka_outages: int = 0
    truncated: int = 0  # records Kafka refused as too large, sent as truncated dead letters instead
    retried: int = 0  # deliveries that failed and were sent again
    spool_written_bytes: int = 0  # appended to the spool by this run
    spool_written_records: int = 0

    @property
    def clean(self) -> bool:
        """True when every record sent was acknowledged by the cluster."""
        return self.failed == 0 and self.pending == 0

    @property
    def trades_per_second(self) -> float:
        """Acknowledged trades per second of wall time."""
        return self.trades_acked / self.duration_s if self.duration_s > 0 else 0.0
