"""The page reads only its window: older partitions and files are never opened, totals come from the logs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from coinstream.dashboard.lake import LakeLocation, read_snapshot
from coinstream.dashboard.views import build_views
from coinstream.dashboard.window import trade_window

LAST = datetime(2026, 9, 6, 0, 20, tzinfo=UTC)  # 20 minutes into a day: a 60-minute window spans two days


def trades(first_id: int, times: list[datetime], exchange: str = "binance") -> pa.Table:
    """Trades at ``times``, with the trades table's ``trade_date`` partition column."""
    return pa.table({
        "trade_id": [f"id-{first_id + i}" for i in range(len(times))],
        "ticker": ["btcusdt"] * len(times), "exchange": [exchange] * len(times),
        "price": [100.0] * len(times), "size": [1.0] * len(times),
        "trade_time": pa.array(times, pa.timestamp("us", tz="UTC")),
        "ingest_time": pa.array([t + timedelta(milliseconds=100) for t in times], pa.timestamp("us", tz="UTC")),
        "trade_date": pa.array([t.date() for t in times], pa.date32()),
    })


@pytest.fixture
def partitioned_lake(tmp_path: Path) -> LakeLocation:
    """Three commits: two days ago (old partition), earlier today (outside the window), the last hour."""
    uri = str(tmp_path / "lake" / "trades")
    commits = [
        trades(0, [LAST - timedelta(days=2, minutes=m) for m in range(5)], exchange="old-day"),
        trades(100, [LAST - timedelta(minutes=90 + m) for m in range(3)], exchange="earlier"),
        trades(200, [LAST - timedelta(minutes=m) for m in (0, 10, 30, 50)]),
    ]
    for commit in commits:
        write_deltalake(uri, commit, partition_by=["trade_date"], mode="append")
    return LakeLocation(root=str(tmp_path / "lake"))


def test_only_the_windows_trades_are_read_and_the_total_comes_from_the_log(partitioned_lake):
    uri = partitioned_lake.table_uri("trades")
    # Garble the files before the window (an older partition, and a file of the window's first day whose
    # trades are all older): a read that opened one would fail.
    files = pa.table(DeltaTable(uri).get_add_actions(flatten=True)).to_pylist()
    outside = [f["path"] for f in files if f["max.trade_time"] < LAST - timedelta(minutes=60)]
    assert len(outside) == 2
    for path in outside:
        (Path(uri) / path).write_bytes(b"not parquet")
    snapshot = read_snapshot(partitioned_lake, window_minutes=60)

    assert sorted(snapshot.trades.column("trade_id").to_pylist()) == ["id-200", "id-201", "id-202", "id-203"]
    assert snapshot.trades_total == 12
    views = build_views(snapshot)
    assert views["totals"]["trades"] == 12
    assert views["totals"]["first_trade_time"] == (LAST - timedelta(days=2, minutes=4)).isoformat()
    assert [e["exchange"] for e in views["top_exchanges"]] == ["binance"]
    assert views["window"]["trades"] == 4
    assert views["window"]["start"] == (LAST - timedelta(minutes=60)).isoformat()
    assert views["window"]["end"] == LAST.isoformat()


def test_a_wider_window_reaches_back_across_the_day_boundary(partitioned_lake):
    snapshot = read_snapshot(partitioned_lake, window_minutes=120)
    assert snapshot.trades.num_rows == 7
    assert set(snapshot.trades.column("exchange").to_pylist()) == {"binance", "earlier"}


def test_the_bars_and_quarantine_checks_are_of_the_window_and_the_quarantine_count_of_the_table(partitioned_lake):
    root = partitioned_lake.root
    starts = [LAST - timedelta(minutes=m) for m in (1, 200)]
    write_deltalake(root + "/ohlcv_1m", pa.table({
        "window_start": pa.array(starts, pa.timestamp("us", tz="UTC")), "ticker": ["btcusdt"] * 2,
        "exchange": ["binance"] * 2, "open": [1.0, 2.0], "high": [1.0, 2.0], "low": [1.0, 2.0], "close": [1.0, 2.0],
        "volume": [1.0, 1.0], "vwap": [1.0, 2.0], "trade_count": [1, 1]}))
    write_deltalake(root + "/quarantine", pa.table({
        "reason": ["price -1 is not positive", "size 0 is not positive", "undecodable record"],
        "ingest_time": pa.array([LAST - timedelta(minutes=5), LAST - timedelta(days=1), None],
                                pa.timestamp("us", tz="UTC"))}))

    views = build_views(read_snapshot(partitioned_lake, window_minutes=60))

    assert [b["close"] for b in views["candles"]["btcusdt"]["bars"]] == [1.0]
    assert views["quality"]["quarantined"] == 3
    assert sorted(c["check"] for c in views["quality"]["checks"]) == ["price", "undecodable"]


def test_the_window_ends_at_the_last_trade_or_now_and_must_be_positive():
    now = datetime(2026, 9, 6, 12, 0, tzinfo=UTC)
    assert trade_window(LAST, 30, now=now).start == LAST - timedelta(minutes=30)
    assert trade_window(None, 30, now=now).end == now
    with pytest.raises(ValueError, match="give it a positive number of minutes"):
        trade_window(LAST, 0)


def test_the_command_takes_the_window_and_the_report_shows_it(partitioned_lake, tmp_path):
    from click.testing import CliRunner

    from coinstream.dashboard.command import dashboard_command

    out = tmp_path / "report.html"
    result = CliRunner().invoke(dashboard_command, ["--lake", partitioned_lake.root, "--out", str(out),
                                                    "--window-minutes", "120"])

    assert result.exit_code == 0, result.output
    assert "(12 trades)" in result.output
    assert '"window": {"minutes": 120.0' in out.read_text(encoding="utf-8")
    refused = CliRunner().invoke(dashboard_command, ["--lake", partitioned_lake.root, "--window-minutes", "0"])
    assert refused.exit_code == 2 and "--window-minutes" in refused.output
