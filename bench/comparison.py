"""The side-by-side table of ``end_to_end.py volume --compare``: each leg's times and its ratio to the peer baseline."""

from __future__ import annotations

from dataclasses import dataclass

BASELINE = "peer"


@dataclass(frozen=True)
class LegTimes:
    """One leg's seconds: warm drain, and from its process's start to its first and its last Delta commit."""

    name: str
    tables: int
    warm_s: float | None
    cold_first_commit_s: float | None
    cold_last_commit_s: float | None


def ratio(value: float | None, baseline: float | None) -> float | None:
    """value / baseline, None when either is missing or the baseline is not positive."""
    if value is None or baseline is None or baseline <= 0:
        return None
    return value / baseline


def _cell(value: float | None, unit: str = " s") -> str:
    return "-" if value is None else f"{value:.1f}{unit}"


def comparison_table(legs: list[LegTimes]) -> str:
    """A text table, one row per leg, with each time's ratio to the ``peer`` leg's (when there is one)."""
    peer = next((leg for leg in legs if leg.name == BASELINE), None)
    header = ("leg", "tables", "warm drain", "cold: first commit", "cold: last trade", "warm / peer", "cold / peer")
    rows = [header]
    for leg in legs:
        rows.append((leg.name, str(leg.tables), _cell(leg.warm_s), _cell(leg.cold_first_commit_s),
                     _cell(leg.cold_last_commit_s),
                     _cell(ratio(leg.warm_s, peer.warm_s) if peer else None, "x"),
                     _cell(ratio(leg.cold_last_commit_s, peer.cold_last_commit_s) if peer else None, "x")))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
                     for row in rows)
