"""The one argument check every operator and sensor uses: what it accepts, and the message it refuses with."""

from __future__ import annotations

from datetime import timedelta

import pytest
from coinstream.airflow.arguments import duration_seconds, non_empty, whole_number


def test_non_empty_returns_the_value_and_names_the_argument_when_empty():
    assert non_empty("p.toml", "pipeline", "the path of the pipeline TOML") == "p.toml"
    for empty in ("", None):
        with pytest.raises(ValueError) as refused:
            non_empty(empty, "table", "the table's URI, e.g. s3a://coinstream/trades")
        assert str(refused.value) == "table is empty; pass the table's URI, e.g. s3a://coinstream/trades"


@pytest.mark.parametrize(("value", "minimum", "accepted"), [
    (1, 1, 1), (0, 0, 0), (168, 168, 168), (None, 1, None),
])
def test_whole_number_accepts_an_int_at_or_above_its_minimum(value, minimum, accepted):
    assert whole_number(value, "n", minimum=minimum) == accepted


@pytest.mark.parametrize(("value", "minimum", "unit", "message"), [
    (0, 1, None, "max_trades=0 must be a positive integer"),
    (True, 1, None, "max_trades=True must be a positive integer"),            # a bool is not a count
    (2.5, 1, "megabytes", "max_trades=2.5 must be a positive integer (megabytes)"),
    ("10", 0, None, "max_trades='10' must be a non-negative integer"),
    (-1, 0, "records behind", "max_trades=-1 must be a non-negative integer (records behind)"),
    (3, 5, None, "max_trades=3 must be an integer of at least 5"),
])
def test_whole_number_refuses_naming_the_argument_and_its_value(value, minimum, unit, message):
    with pytest.raises(ValueError) as refused:
        whole_number(value, "max_trades", minimum=minimum, unit=unit)
    assert str(refused.value) == message


def test_whole_number_gives_a_refusal_of_its_own_and_can_require_a_value():
    with pytest.raises(ValueError) as refused:
        whole_number(24, "retention_hours", minimum=168, refusal="retention_hours=24 is below 168 h")
    assert str(refused.value) == "retention_hours=24 is below 168 h"
    with pytest.raises(ValueError) as missing:
        whole_number(None, "max_lag", minimum=0, optional=False)
    assert str(missing.value) == "max_lag=None must be a non-negative integer"


def test_duration_seconds_takes_seconds_or_a_timedelta_and_refuses_the_rest():
    assert duration_seconds(None) is None
    assert duration_seconds(90) == 90.0
    assert duration_seconds(timedelta(minutes=2)) == 120.0
    with pytest.raises(ValueError) as text:
        duration_seconds("5 minutes", "max_age")
    assert str(text.value) == "max_age='5 minutes' is not a duration; pass seconds (e.g. 300) or a timedelta"
    with pytest.raises(ValueError) as negative:
        duration_seconds(timedelta(0))
    assert str(negative.value) == ("duration=datetime.timedelta(0) must be positive; pass seconds (e.g. 300) "
                                   "or a timedelta")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"topic": "", "max_lag": 10, "group_id": "g"}, "topic is empty; pass the topic the reader consumes"),
    ({"topic": "t", "max_lag": None, "group_id": "g"}, r"max_lag=None must be a non-negative integer \(records"),
    ({"topic": "t", "max_lag": True, "group_id": "g"}, "max_lag=True must be a non-negative integer"),
])
def test_the_lag_sensor_uses_the_same_checks(kwargs, message):
    from coinstream.airflow.sensors.consumer_lag import ConsumerLagSensor

    with pytest.raises(ValueError, match=message):
        ConsumerLagSensor(task_id="lag", **kwargs)
