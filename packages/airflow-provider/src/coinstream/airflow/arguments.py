"""The argument checks every operator and sensor runs when its DAG is parsed.

A wrong argument fails the DAG import with a ValueError that names the argument, its value and what
to pass instead, rather than a task failing hours later. An Airflow task also has to end, hence the
bounded durations.
"""

from __future__ import annotations

from datetime import timedelta

_KIND = {0: "a non-negative integer", 1: "a positive integer"}


def non_empty(value: str | None, name: str, example: str) -> str:
    """Return ``value``; raise ValueError ``"<name> is empty; pass <example>"`` when it is empty or None."""
    if not value:
        raise ValueError(f"{name} is empty; pass {example}")
    return value


def whole_number(value: int | None, name: str, *, minimum: int = 1, unit: str | None = None,
                 refusal: str | None = None, optional: bool = True) -> int | None:
    """Return ``value`` when it is an int of at least ``minimum`` (a bool is not), or None when ``optional``.

    Otherwise raise ValueError: ``refusal`` when given, else ``"<name>=<value> must be a positive integer
    (<unit>)"`` (``non-negative`` for a minimum of 0).
    """
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        kind = _KIND.get(minimum, f"an integer of at least {minimum}")
        raise ValueError(refusal or f"{name}={value!r} must be {kind}" + (f" ({unit})" if unit else ""))
    return value


def duration_seconds(value: float | timedelta | None, name: str = "duration") -> float | None:
    """Return a positive duration in seconds (or None); raise ValueError naming the value otherwise."""
    if value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, timedelta) else value
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise ValueError(f"{name}={value!r} is not a duration; pass seconds (e.g. 300) or a timedelta")
    if seconds <= 0:
        raise ValueError(f"{name}={value!r} must be positive; pass seconds (e.g. 300) or a timedelta")
    return float(seconds)
