"""Runs one ``coinstream`` command (or spark-submit) as a child process for an operator.

The child gets its secrets through environment variables only (never argv, which ``ps`` shows);
every line it prints goes to the task log after core's redaction (Airflow's masker runs on top).
It runs in its own process group, so killing the task stops Spark's JVM too.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import structlog
from coinstream.core import redact_text

log = structlog.get_logger(__name__)

TAIL_LINES = 20
STOP_GRACE_S = 30.0


class CoinstreamNotFoundError(FileNotFoundError):
    """The ``coinstream`` executable is not installed where the task runs."""


@dataclass(frozen=True)
class CommandResult:
    """How the command ended and its last lines (redacted), for error messages and XCom."""

    returncode: int
    lines: tuple[str, ...]

    @property
    def tail(self) -> str:
        return "\n".join(self.lines[-TAIL_LINES:])


def coinstream_executable(explicit: str | None = None) -> str:
    """The ``coinstream`` entry point: explicit, else beside this interpreter, else on PATH."""
    if explicit:
        return explicit
    beside = Path(sys.executable).with_name("coinstream")
    if beside.exists():
        return str(beside)
    found = shutil.which("coinstream")
    if found is None:
        raise CoinstreamNotFoundError(
            "the `coinstream` command is not installed on this worker; pip install coinstream-core (and the "
            "packages of the commands you run), or pass coinstream_bin='/path/to/coinstream'")
    return found


class CommandRunner:
    """One child process at a time, with its output streamed to the log; :meth:`stop` for on_kill."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[str] | None = None

    def run(self, argv: Sequence[str], environment: Mapping[str, str], cwd: str | None = None) -> CommandResult:
        """Run ``argv`` with ``environment`` added to this process's; return when it exits."""
        env = {**os.environ, **environment}
        log.info("command_started", argv=list(argv), cwd=cwd)
        lines: deque[str] = deque(maxlen=200)
        self._process = subprocess.Popen(
            list(argv), env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            bufsize=1, start_new_session=True)
        assert self._process.stdout is not None
        for raw in self._process.stdout:
            line = redact_text(raw.rstrip("\n"))
            lines.append(line)
            log.info("command_output", line=line)
        returncode = self._process.wait()
        self._process = None
        log.info("command_finished", returncode=returncode)
        return CommandResult(returncode, tuple(lines))

    def stop(self) -> None:
        """SIGTERM the child's process group (the processor stops at its checkpoint), SIGKILL after a grace."""
        process = self._process
        if process is None or process.poll() is not None:
            return
        log.warning("command_stopping", pid=process.pid)
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
