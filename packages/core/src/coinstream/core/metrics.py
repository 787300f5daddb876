"""Metrics passed to the batch_committed hook."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class BatchMetrics:
    """What one committed unit of work did.

    ``role`` is ``"processor"`` (one Spark micro-batch) or ``"ingestor"`` (one metrics
    interval). Fields a role cannot know are ``None``.
    """

    role: str
    pipeline_name: str
    batch_id: int
    rows: int
    rows_per_second: float
    duration_ms: float
    kafka_lag: int | None = None
    watermark: str | None = None
    dead_letters: int = 0
    extra: dict[str, float | int | str] = field(default_factory=dict)
