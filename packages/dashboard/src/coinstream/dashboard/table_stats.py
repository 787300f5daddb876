"""What a Delta table's log says about its rows, without reading them: row count and time range.

Every file the log adds carries ``num_records`` and the min/max of its statistics columns (the trade
tables keep them for trade_time, ingest_time, ticker and exchange); summing and bounding those is a
read of the log, whatever the table's size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable


@dataclass(frozen=True)
class TableStats:
    """A table's row count and the range of one time column (None when the log keeps no statistics of it)."""

    rows: int
    first: datetime | None = None
    last: datetime | None = None


def table_stats(delta: DeltaTable, time_column: str | None = None) -> TableStats:
    """Return the row count of ``delta``'s current version and the range of ``time_column``, from its log."""
    files = pa.table(delta.get_add_actions(flatten=True))
    if files.num_rows == 0:
        return TableStats(rows=0)
    rows = pc.sum(files.column("num_records")).as_py() or 0
    if time_column is None or f"min.{time_column}" not in files.column_names:
        return TableStats(rows=rows)
    return TableStats(rows=rows, first=pc.min(files.column(f"min.{time_column}")).as_py(),
                      last=pc.max(files.column(f"max.{time_column}")).as_py())
