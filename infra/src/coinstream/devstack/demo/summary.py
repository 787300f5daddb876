"""The demo's closing summary: every frame the feed sent, and the one place it ended.

The lines add up (see :mod:`coinstream.devstack.demo.accounting`): a user can check the arithmetic.
The figures are also written as JSON next to the dashboard, for scripts and tests.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
from rich.table import Table

from coinstream.dashboard import LakeLocation, open_table
from coinstream.devstack.demo.accounting import DemoAccount
from coinstream.lake import table_rows

LAND_HINT = "run the demo again, or `coinstream process PIPELINE --available-now`"


@dataclass(frozen=True)
class DemoSummary:
    """One run's books, with its latencies and the tables' sizes."""

    duration_s: float
    account: DemoAccount
    rows_per_table: dict[str, int]
    commit_p50_ms: float | None
    commit_p99_ms: float | None
    ack_p99_ms: float | None
    pipeline_file: str
    feed_gaps_recorded: int = 0  # holes in the feed this run recorded (FeedGap records the ingestor sent)

    @property
    def failed(self) -> bool:
        """True on real loss or duplicates: the demo's exit code is 1 then."""
        return self.account.lost > 0 or self.account.duplicates > 0

    def table(self) -> Table:
        """The summary as a rich table, one line per place a frame can end."""
        a = self.account
        table = Table(title="coinstream demo: summary (this run)")
        table.add_column("where every frame of this run ended")
        table.add_column("count", justify="right")
        sent_detail = ""
        if a.malformed_sent is not None:
            sent_detail = f" (of them {a.malformed_sent:,} malformed, {a.invalid_sent or 0:,} invalid trades)"
        table.add_row(f"frames sent by the feed{sent_detail}", f"{a.frames_sent:,}", style="bold")
        if a.resent_from_earlier_run:
            table.add_row("+ records an interrupted earlier run left in the spool, sent by this run",
                          f"{a.resent_from_earlier_run:,}")
        table.add_row("  = trades landed in `trades`", f"{a.landed:,}")
        table.add_row("  + trades quarantined (failed validation, in `quarantine`)", f"{a.quarantined:,}")
        table.add_row("  + trades late (later than the watermark, in `late_trades`)", f"{a.late:,}")
        table.add_row("  + dead letters (unparseable frames, in the dead-letter topic)", f"{a.dead_letters_in_kafka:,}")
        table.add_row(f"  + still in Kafka, not yet landed ({LAND_HINT})" if a.not_yet_landed
                      else "  + still in Kafka, not yet landed", f"{a.not_yet_landed:,}",
                      style="yellow" if a.not_yet_landed else None)
        if a.quotes_not_kept:
            table.add_row("  + quotes (read, not kept: the source's include_quotes is off)", f"{a.quotes_not_kept:,}")
        table.add_row("  + lost", f"{a.lost:,}", style="green" if a.lost == 0 else "bold red")
        if a.lost:
            table.add_row("      of them never read by the ingestor", f"{a.frames_not_read:,}")
            table.add_row("      of them read, never acknowledged by Kafka", f"{a.ingest_failed:,}")
            table.add_row("      of them in Kafka, in no table", f"{a.lost_after_kafka:,}")
        table.add_row("the lines add up", "yes" if a.balanced else "NO", style="green" if a.balanced else "bold red")
        table.add_row("duplicates (in `trades`, `quarantine`, `late_trades`)", f"{a.duplicates:,}",
                      style="green" if a.duplicates == 0 else "bold red")
        if a.earlier_runs_landed:
            table.add_row("earlier runs' trades landed during this run (not counted above)",
                          f"{a.earlier_runs_landed:,}")
        table.add_row("holes in the feed recorded as gaps (in `feed_gaps`)", f"{self.feed_gaps_recorded:,}")
        if self.commit_p99_ms is not None:
            table.add_row("ingest -> Delta commit p50 / p99 (`trades`)",
                          f"{(self.commit_p50_ms or 0) / 1000:,.2f} / {self.commit_p99_ms / 1000:,.2f} s")
        if self.ack_p99_ms is not None:
            table.add_row("ingest -> Kafka ack p99", f"{self.ack_p99_ms:,.0f} ms")
        for name, rows in sorted(self.rows_per_table.items()):
            table.add_row(f"rows in `{name}` (all runs)", f"{rows:,}")
        table.add_row("run time", f"{self.duration_s:,.0f} s")
        return table

    def run_books(self) -> list[dict[str, Any]]:
        """Where the run's frames ended, as the dashboard's "last demo run" table shows it."""
        a = self.account
        return [{"where": where, "frames": frames} for where, frames in (
            ("sent by the feed", a.frames_sent), ("landed in trades", a.landed), ("quarantined", a.quarantined),
            ("late", a.late), ("dead letters (dead-letter topic)", a.dead_letters_in_kafka),
            ("still in Kafka, not yet landed", a.not_yet_landed), ("lost", a.lost))]

    def as_dict(self) -> dict[str, Any]:
        """The summary as JSON-ready figures."""
        return {"duration_s": self.duration_s, **self.account.as_dict(), "rows_per_table": self.rows_per_table,
                "commit_p50_ms": self.commit_p50_ms, "commit_p99_ms": self.commit_p99_ms,
                "ack_p99_ms": self.ack_p99_ms, "feed_gaps_recorded": self.feed_gaps_recorded, "failed": self.failed,
                "pipeline_file": self.pipeline_file}

    def write_json(self, path: Path) -> Path:
        """Write the figures to ``path``; return it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.as_dict(), indent=2) + "\n", encoding="utf-8")
        return path


def trade_ids_since(location: LakeLocation, table: str, since: datetime) -> list[str]:
    """Return the trade ids in ``table`` ingested at or after ``since`` (one entry per row)."""
    delta = open_table(location, table)
    if delta is None:
        return []
    kind = pa.schema(delta.schema().to_arrow()).field("ingest_time").type  # arro3 -> pyarrow, for pa.scalar
    rows = table_rows(delta, ["trade_id"], ds.field("ingest_time") >= pa.scalar(since.astimezone(UTC), type=kind))
    return pc.drop_null(rows["trade_id"]).to_pylist()


def rows_per_table(location: LakeLocation, tables: tuple[str, ...]) -> dict[str, int]:
    """Return the row count of each table that exists."""
    counts = {}
    for name in tables:
        table = open_table(location, name)
        if table is not None:
            counts[name] = table.to_pyarrow_dataset().count_rows()
    return counts
