"""A one-line live progress display of the ingestor for terminals (rich)."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.text import Text


class IngestProgress:
    """Shows the latest metrics on one line while the ingestor runs; a no-op off a terminal."""

    def __init__(self, enabled: bool) -> None:
        self._console = Console(stderr=True)
        self._enabled = enabled and self._console.is_terminal
        self._live: Live | None = None

    def __enter__(self) -> IngestProgress:
        if self._enabled:
            self._live = Live(Text("ingest: connecting..."), console=self._console, refresh_per_second=4,
                              transient=True)
            self._live.__enter__()
        return self

    def update(self, figures: dict[str, Any]) -> None:
        """Replace the line with the latest interval's figures."""
        if self._live is None:
            return
        p50, p99 = figures.get("ack_p50_ms"), figures.get("ack_p99_ms")
        latency = f"ack p50 {p50:.1f} ms p99 {p99:.1f} ms" if p50 is not None and p99 is not None else "ack -"
        self._live.update(Text(
            f"ingest: {figures['trades_per_s']:>10,.0f} trades/s | {figures['trades_acked']:>12,} acked | "
            f"{latency} | dead letters {figures['dead_letters']:,} | reconnects {figures['reconnects']} | "
            f"pending {figures['pending']:,}"
            + (f" | spool {figures['spool_records']:,} records" if "spool_records" in figures else "")))

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._live is not None:
            self._live.__exit__(exc_type, exc, traceback)
