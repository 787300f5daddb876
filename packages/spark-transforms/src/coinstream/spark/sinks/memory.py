"""``memory``: keep each micro-batch's rows in the driver, for tests and notebooks.

Unlike Spark's own memory sink it restarts from its checkpoint, and it is idempotent the way a
real sink must be: rows are stored per micro-batch id, so a batch Spark replays after a failure
replaces its earlier copy instead of adding to it, and a row marked for a recheck (``_recheck``, see
:data:`coinstream.spark.api.RECHECK`) whose keys an earlier batch already holds is dropped. Rows live
in this Python process (a classic session's driver); read them with :func:`memory_rows`.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from pydantic import Field

from coinstream.core import ComponentContext
from coinstream.spark.api import RECHECK, OutputMode, SinkContext, SinkSettings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame
    from pyspark.sql.streaming import StreamingQuery

_lock = threading.Lock()
_tables: dict[str, dict[int, list[dict[str, Any]]]] = {}


class MemorySinkSettings(SinkSettings):
    """[[sinks]] name = "memory"."""

    table: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
                              description="Name to read the rows back by; default: the query name.")
    output_mode: OutputMode | None = Field(None, description="append (default) or update.")


def memory_rows(table: str) -> list[dict[str, Any]]:
    """Return every row the memory sink ``table`` holds, in micro-batch order."""
    with _lock:
        batches = _tables.get(table, {})
        return [row for batch_id in sorted(batches) for row in batches[batch_id]]


def memory_batches(table: str) -> dict[int, int]:
    """Return the row count per micro-batch id of a memory table."""
    with _lock:
        return {batch_id: len(rows) for batch_id, rows in sorted(_tables.get(table, {}).items())}


def clear_memory_table(table: str) -> None:
    """Forget a memory table's rows (its query's checkpoint is not touched)."""
    with _lock:
        _tables.pop(table, None)


class MemorySink:
    """Collects each micro-batch to the driver under its batch id (see the module docstring)."""

    def __init__(self, settings: MemorySinkSettings, context: ComponentContext) -> None:
        self.settings = settings

    def start(self, stream: DataFrame, context: SinkContext) -> StreamingQuery:
        """Start the foreachBatch query for ``context.stream``; return it."""
        table = self.settings.table or context.query_name.replace("-", "_").replace(".", "_")

        def store(batch: DataFrame, batch_id: int) -> None:
            rows = [row.asDict(recursive=True) for row in batch.collect()]
            with _lock:
                batches = _tables.setdefault(table, {})
                kept = _without_repeats(rows, batches, batch_id, context.keys)
                batches[batch_id] = kept
            extra = {"duplicates_dropped": len(rows) - len(kept)} if len(kept) < len(rows) else {}
            context.report(batch_id, memory_rows=len(kept), **extra)

        return context.writer(stream, self.settings.output_mode or "append").foreachBatch(store).start()


def _without_repeats(rows: list[dict[str, Any]], batches: dict[int, list[dict[str, Any]]], batch_id: int,
                     keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """The rows without RECHECK, less the marked ones whose keys another batch (or an earlier row) holds."""
    if not rows or RECHECK not in rows[0]:
        return rows
    seen = {tuple(row.get(key) for key in keys)
            for other, stored in batches.items() if other != batch_id for row in stored} if keys else set()
    kept = []
    for row in rows:
        marked = row.pop(RECHECK)
        identity = tuple(row.get(key) for key in keys)
        if marked and keys and not any(value is None or value == "" for value in identity):
            if identity in seen:
                continue
            seen.add(identity)
        kept.append(row)
    return kept
