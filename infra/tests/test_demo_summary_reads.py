"""The demo's summary reads this run's trade ids and every table's row count from a local Delta lake."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
from deltalake import write_deltalake

from coinstream.dashboard import LakeLocation
from coinstream.devstack.demo.summary import rows_per_table, trade_ids_since

RUN_START = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def test_trade_ids_since_the_run_started_and_the_row_counts(tmp_path: Path) -> None:
    stamps = [datetime(2026, 12, 3, 11, 59, tzinfo=UTC), RUN_START, datetime(2026, 12, 3, 12, 5, tzinfo=UTC)]
    write_deltalake(str(tmp_path / "trades"), pa.table({
        "trade_id": ["earlier-run", "first", None],
        "ingest_time": pa.array(stamps, pa.timestamp("us", tz="UTC"))}))
    location = LakeLocation(root=str(tmp_path))

    assert trade_ids_since(location, "trades", RUN_START) == ["first"]           # nulls dropped, earlier run not
    assert trade_ids_since(location, "quarantine", RUN_START) == []              # no table yet
    assert rows_per_table(location, ("trades", "quarantine")) == {"trades": 3}
