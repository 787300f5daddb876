"""The demo's child processes: each a ``coinstream`` command with JSON logs in its own file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)

_GROUP_GRACE_S = 10.0  # what a left-over process (a Spark JVM) gets after SIGTERM before SIGKILL


@dataclass
class Child:
    """A running ``coinstream`` command, stopped by its own PID."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        """The child's PID."""
        return self.process.pid

    def running(self) -> bool:
        """True while the process has not exited."""
        return self.process.poll() is None

    def stop(self, timeout_s: float = 60.0, signum: int = signal.SIGTERM) -> int:
        """Signal the child (SIGTERM: flush and exit), wait, then SIGKILL after the timeout; then end what
        it left in its process group (the processor's Spark JVM outlives a killed driver); return its code."""
        if self.running():
            self.process.send_signal(signum)
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                log.warning("demo_child_killed", child=self.name, pid=self.pid, timeout_s=timeout_s)
                self.process.kill()
                self.process.wait(timeout=30)
        self._end_group()
        log.info("demo_child_stopped", child=self.name, pid=self.pid, returncode=self.process.returncode)
        return int(self.process.returncode)

    def _end_group(self) -> None:
        """SIGTERM, then SIGKILL, whatever is left in the child's process group (its id is the child's PID:
        each child starts a session of its own)."""
        for group_signal in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.pid, group_signal)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + _GROUP_GRACE_S
            while time.monotonic() < deadline:
                try:
                    os.killpg(self.pid, 0)
                except ProcessLookupError:
                    return
                time.sleep(0.1)
        log.warning("demo_child_group_left", child=self.name, pgid=self.pid)


def start_child(name: str, arguments: list[str], log_dir: Path, environ: Mapping[str, str]) -> Child:
    """Start ``coinstream --log-format json ARGUMENTS`` with stdout and stderr in ``<log_dir>/<name>.log``."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    command = [sys.executable, "-m", "coinstream.core.cli.main", "--log-format", "json", *arguments]
    with open(log_path, "ab") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   env={**os.environ, **environ}, start_new_session=True)
    log.info("demo_child_started", child=name, pid=process.pid, log=str(log_path))
    return Child(name, process, log_path)
