"""The soak benchmark's memory readings: VmRSS of a process and its descendants, and a run's trend."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from process_memory import MIB, Sample, descendants, rss_bytes, trends  # noqa: E402


def test_the_resident_memory_of_a_live_process_is_read_and_an_exited_one_has_none() -> None:
    assert rss_bytes(os.getpid()) > 10 * MIB  # this Python, its imports resident
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(30)
    assert rss_bytes(child.pid) is None


def test_descendants_are_found_below_a_process_however_deep() -> None:
    # a shell whose child is a sleep: the driver -> JVM shape of `coinstream process`
    shell = subprocess.Popen(["sh", "-c", "sleep 30 & wait"], start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while not descendants(shell.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        below = descendants(shell.pid)
        assert len(below) == 1
        assert Path(f"/proc/{below[0]}/cmdline").read_bytes().split(b"\0")[0] == b"sleep"
        assert shell.pid in descendants(os.getpid())
    finally:
        os.killpg(shell.pid, 9)
        shell.wait(10)


def test_a_trend_is_flat_unless_the_second_half_grows_by_a_tenth_of_the_median() -> None:
    samples = [Sample(t * 30.0, {"ingestor": 100.0 + (t if t < 5 else 5 + 0.5 * (t - 5)), "jvm": 900.0 + 20 * t})
               for t in range(10)]
    by_name = {trend.name: trend for trend in trends(samples)}

    ingestor, jvm = by_name["ingestor"], by_name["jvm"]
    assert (ingestor.first_mib, ingestor.last_mib, ingestor.max_mib) == (100.0, 107.0, 107.0)
    assert ingestor.second_half_growth_mib == 2.0 and ingestor.flat
    assert jvm.second_half_growth_mib == 80.0 and jvm.median_mib == 990.0 and jvm.flat
    assert not trends([Sample(t, {"jvm": 900.0 + 50 * t}) for t in range(10)])[0].flat
    assert "GROWING" in trends([Sample(t, {"jvm": 900.0 + 50 * t}) for t in range(10)])[0].line()


def test_a_process_that_exited_midway_keeps_the_readings_it_had() -> None:
    samples = [Sample(0, {"simulator": 50.0, "ingestor": 80.0}), Sample(30, {"ingestor": 81.0}),
               Sample(60, {"ingestor": 82.0})]
    by_name = {trend.name: trend for trend in trends(samples)}
    assert by_name["simulator"].last_mib == 50.0
    assert by_name["ingestor"].second_half_growth_mib == 1.0
