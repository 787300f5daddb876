"""The COINSTREAM_FAULT_POINT testing hook: which commits it names, and the form a typo is told."""

from __future__ import annotations

import pytest

from coinstream.s3.sinks.fault_point import FaultPoint, fault_point_from_env


@pytest.mark.parametrize(("value", "point"), [
    ("", None),
    ("after_delta_commit", FaultPoint(None, 0)),
    ("after_delta_commit:trades", FaultPoint("trades", 0)),
    ("after_delta_commit:ohlcv_1m:2", FaultPoint("ohlcv_1m", 2)),
    ("after_delta_commit::5", FaultPoint(None, 5)),
])
def test_the_variable_names_a_table_and_a_first_batch(value, point):
    assert fault_point_from_env({"COINSTREAM_FAULT_POINT": value}) == point


def test_the_point_is_the_commit_of_its_table_from_its_batch_on():
    point = FaultPoint("trades", 2)
    assert [point.reached("trades", batch) for batch in (1, 2, 3)] == [False, True, True]
    assert not point.reached("quarantine", 5)
    assert FaultPoint().reached("quarantine", 0)


@pytest.mark.parametrize("value", ["before_delta_commit", "after_delta_commit:trades:two"])
def test_a_malformed_value_is_refused_with_the_accepted_form(value):
    with pytest.raises(ValueError, match=r"is not a fault point; write after_delta_commit\[:<table>\[:<batch_id>\]\]"):
        fault_point_from_env({"COINSTREAM_FAULT_POINT": value})
