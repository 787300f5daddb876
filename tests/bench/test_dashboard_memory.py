"""The dashboard memory benchmark runs at a tiny size and prints its figures (never asserted on)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "dashboard_memory.py"


def test_the_benchmark_prints_the_lock_the_lake_and_a_figures_line_per_read(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(BENCH), "--sizes", "20k", "--runs", "1", "--commit-rows", "5k",
                           "--rate", "2", "--window-minutes", "30", "--dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=600, check=False)

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert re.fullmatch(r"-- dependencies: requirements\.lock sha256:[0-9a-f]{12}", lines[0])
    assert any(line.startswith("lake: 20,000 trades over 0.12 days, 4 commits, ") for line in lines), lines
    figures = {line.split()[1]: line for line in lines if line.startswith("size=")}
    # 2 trades a second: 30 minutes hold 3,600 trades (and the one on the window's first microsecond)
    assert figures["read=window"].startswith("size=20,000 read=window rows=3,601 peak_rss_mib=")
    assert figures["read=whole"].startswith("size=20,000 read=whole rows=20,000 peak_rss_mib=")
    assert all(" seconds=" in line and " imports_rss_mib=" in line for line in figures.values())
    assert list(tmp_path.iterdir()) == []  # the tables are removed
