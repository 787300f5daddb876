"""The benchmark's side-by-side table: ratios to the peer baseline, missing figures shown as '-'."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from comparison import LegTimes, comparison_table, ratio  # noqa: E402


def test_ratio_divides_by_the_baseline_and_refuses_a_missing_or_zero_one() -> None:
    assert ratio(6.0, 4.0) == 1.5
    assert ratio(None, 4.0) is None
    assert ratio(6.0, None) is None
    assert ratio(6.0, 0.0) is None


def test_table_lists_each_leg_with_its_ratio_to_the_peer() -> None:
    table = comparison_table([LegTimes("peer", 1, 4.0, 1.0, 5.0), LegTimes("full", 4, 6.0, 20.0, 40.0),
                              LegTimes("trades", 1, None, 18.0, 30.0)])
    lines = table.splitlines()
    assert lines[0].split()[:2] == ["leg", "tables"]
    peer, full, trades = (line.split() for line in lines[1:])
    assert peer == ["peer", "1", "4.0", "s", "1.0", "s", "5.0", "s", "1.0x", "1.0x"]
    assert full == ["full", "4", "6.0", "s", "20.0", "s", "40.0", "s", "1.5x", "8.0x"]
    assert trades == ["trades", "1", "-", "18.0", "s", "30.0", "s", "-", "6.0x"]


def test_table_without_a_peer_leg_has_no_ratios() -> None:
    (row,) = comparison_table([LegTimes("full", 4, 6.0, 20.0, 40.0)]).splitlines()[1:]
    assert row.split()[-2:] == ["-", "-"]
