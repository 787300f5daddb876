"""Resident memory of running processes, read from /proc, and whether a series of it stays flat.

Kept apart from soak.py so that it can be tested without the stack, Kafka or Spark.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
MIB = 1024 * 1024
# A series is flat when the second half of the run (after warm-up: the JVM's heap and JIT settle in
# the first minutes) grows by less than this share of its median.
FLAT_GROWTH_SHARE = 0.10


def rss_bytes(pid: int, proc: Path = PROC) -> int | None:
    """The resident set of ``pid`` (VmRSS), or None once it has exited."""
    try:
        for line in (proc / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError):
        return None
    return 0  # a zombie: no VmRSS line


def children_of(pid: int, proc: Path = PROC) -> list[int]:
    """The direct children of ``pid`` (from each process's stat line: its parent is the 4th field)."""
    children = []
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def descendants(pid: int, proc: Path = PROC) -> list[int]:
    """Every process below ``pid``, depth first."""
    found = []
    for child in children_of(pid, proc):
        found.append(child)
        found.extend(descendants(child, proc))
    return found


@dataclass(frozen=True)
class Sample:
    """One reading: seconds since the run began, and MiB per process name."""

    seconds: float
    mib: dict[str, float]


@dataclass(frozen=True)
class Trend:
    """How one process's memory went over a run."""

    name: str
    first_mib: float
    median_mib: float
    last_mib: float
    max_mib: float
    second_half_growth_mib: float  # last sample minus the first sample of the run's second half

    @property
    def flat(self) -> bool:
        return self.second_half_growth_mib < FLAT_GROWTH_SHARE * self.median_mib

    def line(self) -> str:
        return (f"{self.name:<14} first {self.first_mib:8.1f}  median {self.median_mib:8.1f}  last {self.last_mib:8.1f}"
                f"  max {self.max_mib:8.1f}  second-half growth {self.second_half_growth_mib:+7.1f} MiB  "
                f"{'flat' if self.flat else 'GROWING'}")


def trends(samples: list[Sample]) -> list[Trend]:
    """Per process named in ``samples``, its trend (a process missing from a sample had exited then)."""
    names = list(dict.fromkeys(name for sample in samples for name in sample.mib))
    found = []
    for name in names:
        series = [sample.mib[name] for sample in samples if name in sample.mib]
        second_half = series[len(series) // 2:]
        found.append(Trend(name, series[0], statistics.median(series), series[-1], max(series),
                           second_half[-1] - second_half[0]))
    return found
