"""Interval settings: the forms accepted, and the message for the others."""

from __future__ import annotations

import pytest

from coinstream.spark.intervals import interval_seconds, spark_interval


@pytest.mark.parametrize(("text", "seconds"), [
    ("10 minutes", 600.0), ("2 seconds", 2.0), ("500 ms", 0.5), ("1 hour", 3600.0), ("1 day", 86400.0),
    ("1.5 min", 90.0),
])
def test_accepted_forms(text, seconds):
    assert interval_seconds(text) == seconds


def test_spark_gets_seconds_or_milliseconds():
    assert spark_interval("10 minutes") == "600 seconds"
    assert spark_interval("250 ms") == "250 milliseconds"


def test_a_malformed_interval_says_what_to_write():
    with pytest.raises(ValueError, match="write a number and a unit, e.g. '10 minutes'"):
        interval_seconds("10m30s")
