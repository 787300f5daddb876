"""The demo's live terminal view (rich): what flows in, what lands in each table, and how far behind."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from coinstream.devstack.demo.log_follower import LogFollower
from coinstream.devstack.demo.table_commits import TableCommits

_LAKE_POLL_S = 2.0


@dataclass
class PipelineFigures:
    """The latest figures read from the ingestor's and the processor's logs."""

    trades_per_s: float = 0.0
    trades_acked: int = 0
    dead_letters: int = 0
    reconnects: int = 0
    ack_p99_ms: float | None = None
    kafka_lag: dict[str, int | None] = field(default_factory=dict)
    batches: int = 0
    queries: set[str] = field(default_factory=set)
    ingest_finished: dict[str, Any] | None = None

    def absorb_ingest(self, event: dict[str, Any]) -> None:
        """Take an ``ingest_metrics`` event, or the ``ingest_finished`` report (the totals after the flush)."""
        if event["event"] == "ingest_finished":
            self.ingest_finished = event
            self.trades_acked = int(event.get("trades_acked") or 0)
            self.dead_letters = int(event.get("dead_letters_acked") or 0)
            return
        self.trades_per_s = float(event.get("trades_per_s") or 0.0)
        self.trades_acked = int(event.get("trades_acked") or 0)
        self.dead_letters = int(event.get("dead_letters") or 0)
        self.reconnects = int(event.get("reconnects") or 0)
        self.ack_p99_ms = event.get("ack_p99_ms")

    def absorb_processor(self, event: dict[str, Any]) -> None:
        """Take a processor event: ``query_started`` names a query, ``batch_committed`` its lag."""
        name = event["event"]
        query = str(event.get("query") or event.get("stream") or "?")
        if name == "query_started":
            self.queries.add(query)
        elif name == "batch_committed":
            self.queries.add(query)
            self.kafka_lag[query] = event.get("kafka_lag")
            self.batches += 1

    def lag_of(self, table: str) -> int | None:
        """The Kafka lag of the query that writes ``table`` (its name ends with ``-<table>``)."""
        return next((lag for query, lag in self.kafka_lag.items() if query.endswith(f"-{table}")), None)


class DemoLiveView:
    """Polls the children's logs and the tables' commits; redraws a table (a no-op off a terminal)."""

    def __init__(self, ingest_log: LogFollower, process_log: LogFollower | None, console: Console,
                 tables: Sequence[TableCommits] = ()) -> None:
        self.ingest_log = ingest_log
        self.process_log = process_log
        self.tables = list(tables)
        self.figures = PipelineFigures()
        self.console = console
        self.started = time.monotonic()
        self._lake_polled = 0.0
        self._live: Live | None = None

    def poll(self, lake: bool = False) -> PipelineFigures:
        """Read new log events (and, every few seconds or when ``lake``, new commits) and redraw."""
        for event in self.ingest_log.poll():
            if event["event"] in ("ingest_metrics", "ingest_finished"):
                self.figures.absorb_ingest(event)
        if self.process_log is not None:
            for event in self.process_log.poll():
                self.figures.absorb_processor(event)
        if lake or time.monotonic() - self._lake_polled >= _LAKE_POLL_S:
            self._lake_polled = time.monotonic()
            for table in self.tables:
                table.poll()
        if self._live is not None:
            self._live.update(self.render())
        return self.figures

    def render(self) -> Table:
        """The table of current figures."""
        figures = self.figures
        table = Table(title=f"coinstream demo: {time.monotonic() - self.started:,.0f} s", show_header=True)
        for column, justify in (("", "left"), ("rows committed", "right"), ("rows/s", "right"),
                                ("Kafka lag", "right"), ("ingest -> Delta p99 (1 min)", "right")):
            table.add_column(column, justify=justify)  # type: ignore[arg-type]
        table.add_row("Kafka: trades acked", f"{figures.trades_acked:,}", f"{figures.trades_per_s:,.0f}", "",
                      "" if figures.ack_p99_ms is None else f"ack p99 {figures.ack_p99_ms:,.0f} ms")
        table.add_row("Kafka: dead letters", f"{figures.dead_letters:,}", "", "", "")
        for commits in self.tables:
            lag = figures.lag_of(commits.table)
            p99 = commits.recent_p99_ms() if commits.ingest_column else None
            table.add_row(f"table {commits.table}", f"{commits.rows:,}", f"{commits.rows_per_s():,.0f}",
                          "-" if lag is None else f"{lag:,}",
                          ("-" if p99 is None else f"{p99:,.0f} ms") if commits.ingest_column else "(aggregate)")
        if figures.reconnects:
            table.add_row("feed reconnects", str(figures.reconnects), "", "", "")
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
