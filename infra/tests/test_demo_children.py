"""A demo child that exits leaves nothing behind in its process group (the processor's Spark JVM)."""

from __future__ import annotations

import os
import subprocess
import time

from coinstream.devstack.demo.children import Child


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        return stat.read().split(") ")[1][0] != "Z"  # a zombie is gone, only not reaped yet


def test_stopping_a_child_ends_what_it_left_in_its_process_group(tmp_path):
    pid_file = tmp_path / "grandchild.pid"
    # Like `coinstream process`: the child starts a long-lived process (its JVM) and then goes away.
    process = subprocess.Popen(["sh", "-c", f"sleep 300 & echo $! > {pid_file}; exit 0"], start_new_session=True)
    process.wait(timeout=10)
    grandchild = int(pid_file.read_text())
    assert alive(grandchild)

    Child("processor", process, tmp_path / "processor.log").stop(timeout_s=5)

    deadline = time.monotonic() + 5
    while alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(grandchild)
