"""The demo's live terminal view (rich): what flows in, what lands, and how far behind it is."""

from __future__ import annotations

import time
from datetime import datetime
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from coinstream.dashboard.demo.log_follower import LogFollower


@dataclass
class PipelineFigures:
    """The latest figures read from the ingestor's and the processor's logs."""

    trades_per_s: float = 0.0
    trades_acked: int = 0
    dead_letters: int = 0
    reconnects: int = 0
    ack_p99_ms: float | None = None
    rows_committed: dict[str, int] = field(default_factory=dict)
    rows_per_s: dict[str, float] = field(default_factory=dict)
    kafka_lag: dict[str, int | None] = field(default_factory=dict)
    commit_latency_ms: float | None = None
    batches: int = 0
    queries: set[str] = field(default_factory=set)
    caught_up_after: dict[str, float] = field(default_factory=dict)

    def absorb_ingest(self, event: dict[str, Any]) -> None:
        """Take an ``ingest_metrics`` event."""
        self.trades_per_s = float(event.get("trades_per_s") or 0.0)
        self.trades_acked = int(event.get("trades_acked") or 0)
        self.dead_letters = int(event.get("dead_letters") or 0)
        self.reconnects = int(event.get("reconnects") or 0)
        self.ack_p99_ms = event.get("ack_p99_ms")

    def absorb_processor(self, event: dict[str, Any]) -> None:
        """Take a processor event: ``query_started`` names a query, ``batch_committed`` counts rows."""
        if event["event"] == "query_started":
            self.queries.add(str(event.get("query")))
        elif event["event"] == "batch_committed":
            self.absorb_batch(event)

    def absorb_batch(self, event: dict[str, Any]) -> None:
        """Take a processor ``batch_committed`` event."""
        query = str(event.get("query") or event.get("stream") or "?")
        self.queries.add(query)
        if event.get("kafka_lag") == 0:
            self.caught_up_after[query] = _event_time(event)
        self.rows_committed[query] = self.rows_committed.get(query, 0) + int(event.get("rows") or 0)
        self.rows_per_s[query] = float(event.get("rows_per_second") or 0.0)
        self.kafka_lag[query] = event.get("kafka_lag")
        latency = event.get("ingest_to_commit_p99_ms")
        if latency is not None:
            self.commit_latency_ms = float(latency)
        self.batches += 1


def _event_time(event: dict[str, Any]) -> float:
    """The event's timestamp (structlog's ISO ``timestamp``) as epoch seconds, 0 when absent."""
    try:
        return datetime.fromisoformat(str(event.get("timestamp"))).timestamp()
    except ValueError:
        return 0.0


class DemoLiveView:
    """Polls the children's logs and redraws a table a few times a second (a no-op off a terminal)."""

    def __init__(self, ingest_log: LogFollower, process_log: LogFollower | None, console: Console) -> None:
        self.ingest_log = ingest_log
        self.process_log = process_log
        self.figures = PipelineFigures()
        self.console = console
        self.started = time.monotonic()
        self._live: Live | None = None

    def poll(self) -> PipelineFigures:
        """Read new log events into the figures and redraw."""
        for event in self.ingest_log.poll():
            if event["event"] == "ingest_metrics":
                self.figures.absorb_ingest(event)
        if self.process_log is not None:
            for event in self.process_log.poll():
                self.figures.absorb_processor(event)
        if self._live is not None:
            self._live.update(self.render())
        return self.figures

    def render(self) -> Table:
        """The table of current figures."""
        figures = self.figures
        table = Table(title=f"coinstream demo: {time.monotonic() - self.started:,.0f} s", show_header=True)
        table.add_column("what")
        table.add_column("now", justify="right")
        table.add_row("trades in (acked by Kafka)", f"{figures.trades_per_s:,.0f}/s  total {figures.trades_acked:,}")
        table.add_row("dead letters", f"{figures.dead_letters:,}")
        table.add_row("ingest -> Kafka ack p99", "-" if figures.ack_p99_ms is None else f"{figures.ack_p99_ms:,.1f} ms")
        for query in sorted(figures.rows_committed):
            lag = figures.kafka_lag.get(query)
            table.add_row(f"committed: {query}",
                          f"{figures.rows_per_s.get(query, 0):,.0f} rows/s  total {figures.rows_committed[query]:,}"
                          f"  lag {'-' if lag is None else f'{lag:,}'}")
        table.add_row("ingest -> Delta commit p99",
                      "-" if figures.commit_latency_ms is None else f"{figures.commit_latency_ms:,.0f} ms")
        table.add_row("reconnects", str(figures.reconnects))
        return table

    def __enter__(self) -> DemoLiveView:
        if self.console.is_terminal:
            self._live = Live(self.render(), console=self.console, refresh_per_second=2)
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.__exit__(None, None, None)
            self._live = None
