"""The named streams the transforms make: every input trade in exactly one of trades, quarantine and
late_trades (or dropped as a repeat), and the side streams there even when nothing goes to them."""

from __future__ import annotations

from collections import Counter

import pytest

from .conftest import TRADE_COLUMNS, trade

pytestmark = [pytest.mark.spark, pytest.mark.timeout(300)]

CHAIN = [{"name": "validate"}, {"name": "deduplicate", "watermark": "10 minutes"}, {"name": "enrich"}]


def test_every_trade_lands_in_exactly_one_row_stream(run_transforms):
    streams = run_transforms(CHAIN, [
        trade("ok-1", 0), trade("ok-2", 1), trade("ok-1", 0),              # and a repeat of ok-1
        trade("bad", 2, size=-1.0),
        trade("bad-and-late", 3, size=-1.0, ingest_delay_s=20 * 60),     # validate runs first: quarantined
        trade("late", 4, ingest_delay_s=20 * 60),
    ])

    landed = Counter(trade_id for name in ("trades", "quarantine", "late_trades") for trade_id in streams.ids(name))
    assert landed == {"ok-1": 1, "ok-2": 1, "bad": 1, "bad-and-late": 1, "late": 1}
    assert streams.ids("quarantine") == ["bad", "bad-and-late"]
    assert {row["quarantined_by"] for row in streams.rows("quarantine")} == {"validate"}
    assert streams.ids("late_trades") == ["late"]
    # The transforms after deduplicate enrich what landed in trades only.
    assert {row["notional"] for row in streams.rows("trades")} == {100.0}
    assert "notional" not in streams.rows("late_trades")[0]


def test_the_side_streams_exist_and_are_empty_when_no_transform_feeds_them(run_transforms):
    streams = run_transforms([{"name": "enrich"}], [trade("a", 0)])

    assert streams.rows("quarantine") == [] and streams.rows("late_trades") == []
    assert streams.streams["quarantine"].frame.columns == [*TRADE_COLUMNS, "reason", "quarantined_by", "_recheck"]
    assert streams.streams["late_trades"].frame.columns == [*TRADE_COLUMNS, "reason", "late_by_ms", "_recheck"]
    assert streams.ids("trades") == ["a"]
