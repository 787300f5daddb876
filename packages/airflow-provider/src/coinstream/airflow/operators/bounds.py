"""The bounded window of a streaming job run as a task: an Airflow task has to end."""

from __future__ import annotations

from datetime import timedelta


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
