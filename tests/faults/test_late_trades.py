"""Trades 12 minutes late (k): later than the deduplicate transform's 10-minute watermark, they must land
in ``late_trades`` with a reason saying how late, not vanish."""

from __future__ import annotations

import pytest

from .feed_run import FeedRun
from .reckoning import assert_exactly_once

pytestmark = [pytest.mark.faults, pytest.mark.stack, pytest.mark.spark, pytest.mark.slow, pytest.mark.timeout(900)]

RATE = 3_000
LATE_EVERY = 997  # about 3 late trades a second among the current ones


def test_k_trades_twelve_minutes_late_land_in_late_trades(fault_suite, fault_report):
    with FeedRun(fault_suite, "k-late-trades", RATE, faults=f"late_every={LATE_EVERY},late_s=720") as run:
        run.start()
        run.stream(30)
        figures = fault_report(run.finish())
    late = {trade_id for trade_id, kind in run.ledger.trades.items() if kind == "late"}
    assert len(late) > 50
    assert figures.late == len(late), figures.line()
    table = fault_suite.lake.read("late_trades", columns=["trade_id", "reason", "late_by_ms"])
    rows = [row for row in table.to_pylist() if row["trade_id"] in late]
    assert all(" is 12 min " in row["reason"] and "behind its ingest_time" in row["reason"] for row in rows), rows[:3]
    assert all(720_000 <= row["late_by_ms"] < 780_000 for row in rows), rows[:3]
    assert_exactly_once(figures)
