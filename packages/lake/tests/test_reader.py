"""LakeReader on a local Delta table: the rows and columns asked for, and a process that exits cleanly after."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import write_deltalake

from coinstream.lake import LakeReader, TableNotFoundError


@pytest.fixture
def trades_table(tmp_path: Path) -> Path:
    table = tmp_path / "trades"
    for part in range(3):  # several files, so a scan has several fragments to hand to threads
        write_deltalake(str(table), pa.table({"trade_id": [f"{part}-{i}" for i in range(100)],
                                              "price": [float(i) for i in range(100)]}), mode="append")
    return table


def test_read_returns_only_the_columns_and_rows_asked_for(trades_table):
    rows = LakeReader().read("trades", path=str(trades_table), columns=["trade_id"],
                             filters=[("price", ">=", 98), ("trade_id", "in", ["0-98", "2-99", "x"])])

    assert rows.column_names == ["trade_id"]
    assert sorted(rows.column("trade_id").to_pylist()) == ["0-98", "2-99"]


def test_a_missing_table_says_where_it_looked(tmp_path):
    with pytest.raises(TableNotFoundError, match=str(tmp_path / "nothing")):
        LakeReader().read("trades", path=str(tmp_path / "nothing"))


def test_a_process_that_read_the_lake_exits_cleanly(trades_table):
    # deltalake 1.6 with pyarrow's threaded scanner aborted one exiting process in three here
    # ("terminate called without an active exception"); a short-lived CLI or task must exit 0.
    script = ("from coinstream.lake import LakeReader; "
              f"print(LakeReader().read('trades', path={str(trades_table)!r}, filters=[('price', '>', 97)]).num_rows)")
    outcomes = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
                for _ in range(8)]

    assert [(o.returncode, o.stdout.strip(), o.stderr.strip()) for o in outcomes] == [(0, "6", "")] * 8
