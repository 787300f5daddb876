"""Spark interval strings ("10 minutes", "2 seconds") as settings: parsed once, checked early."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(milliseconds?|ms|seconds?|s|minutes?|min|hours?|h|days?|d)\s*$")
_SECONDS_PER_UNIT = {
    "millisecond": 0.001, "milliseconds": 0.001, "ms": 0.001,
    "second": 1.0, "seconds": 1.0, "s": 1.0,
    "minute": 60.0, "minutes": 60.0, "min": 60.0,
    "hour": 3600.0, "hours": 3600.0, "h": 3600.0,
    "day": 86400.0, "days": 86400.0, "d": 86400.0,
}


def interval_seconds(text: str) -> float:
    """Return the length of an interval string in seconds; raise ValueError naming the accepted form."""
    match = _INTERVAL.match(text)
    if match is None:
        raise ValueError(
            f"{text!r} is not an interval; write a number and a unit, e.g. '10 minutes', '2 seconds', "
            "'500 ms', '1 hour', '1 day'"
        )
    return float(match.group(1)) * _SECONDS_PER_UNIT[match.group(2)]


def spark_interval(text: str) -> str:
    """Return the interval in the form Spark accepts everywhere ("<n> seconds")."""
    seconds = interval_seconds(text)
    return f"{seconds:g} seconds" if seconds >= 1 else f"{round(seconds * 1000)} milliseconds"


def _check(text: str) -> str:
    interval_seconds(text)
    return text


Interval = Annotated[str, AfterValidator(_check)]
"""A settings field holding an interval string; a malformed one fails at pipeline load."""
