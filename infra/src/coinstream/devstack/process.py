"""Start a JVM detached with its own log file, remember its PID, and stop it by that PID only.

``java`` is started by ``subprocess.Popen`` directly (no shell in between), so the recorded PID
is the JVM's own. A pid file also keeps the process's start time (from /proc) and every JVM
carries ``-Dcoinstream.stack.part=<part>``: a recycled PID is never mistaken for our process.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import structlog

from coinstream.devstack.errors import StackError
from coinstream.devstack.paths import StackPaths

log = structlog.get_logger(__name__)

PART_MARKER = "-Dcoinstream.stack.part="
# A part's log is appended to across restarts; past this size it is moved to <part>.log.1 first.
LOG_ROTATE_BYTES = 10 * 2**20
# Children started by this Python process, kept so they are reaped (no zombie looks alive).
_children: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class ProcessRecord:
    """What a pid file holds about one running part."""

    part: str
    pid: int
    start_ticks: int
    ports: tuple[int, ...]
    log_file: str

    @classmethod
    def from_json(cls, text: str) -> ProcessRecord:
        data = json.loads(text)
        return cls(part=data["part"], pid=int(data["pid"]), start_ticks=int(data["start_ticks"]),
                   ports=tuple(int(p) for p in data["ports"]), log_file=data["log_file"])

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"


def java_executable() -> str:
    """``$JAVA_HOME/bin/java`` when set, else ``java`` from PATH."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise StackError(
            "`java` is not on PATH and JAVA_HOME is not set; install a JDK 17 "
            "(e.g. `apt-get install openjdk-17-jdk-headless`)"
        )
    return java


def pid_file(paths: StackPaths, part: str) -> Path:
    return paths.run / f"{part}.pid"


def read_record(paths: StackPaths, part: str) -> ProcessRecord | None:
    path = pid_file(paths, part)
    try:
        return ProcessRecord.from_json(path.read_text())
    except FileNotFoundError:
        return None
    except (ValueError, KeyError) as error:
        log.warning("pid_file_unreadable", part=part, pid_file=str(path), error=str(error))
        return None


def forget(paths: StackPaths, part: str) -> None:
    pid_file(paths, part).unlink(missing_ok=True)


def start_jvm(
    paths: StackPaths,
    part: str,
    jvm_args: Sequence[str],
    *,
    cwd: Path,
    ports: Sequence[int],
    env: Mapping[str, str] | None = None,
) -> ProcessRecord:
    """Start ``java <jvm_args>`` in its own session, output appended to the part's log file."""
    paths.logs.mkdir(parents=True, exist_ok=True)
    paths.run.mkdir(parents=True, exist_ok=True)
    log_path = paths.log_file(part)
    if log_path.is_file() and log_path.stat().st_size > LOG_ROTATE_BYTES:
        log_path.replace(log_path.with_name(log_path.name + ".1"))
    command = [java_executable(), f"{PART_MARKER}{part}", *jvm_args]
    with log_path.open("ab") as out:
        banner = f"\n===== coinstream stack: starting {part} at {time.strftime('%Y-%m-%dT%H:%M:%S%z')} =====\n"
        out.write(banner.encode())
        out.flush()
        child = subprocess.Popen(
            command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})}, start_new_session=True,
        )
    _children[child.pid] = child
    record = ProcessRecord(part=part, pid=child.pid, start_ticks=_start_ticks(child.pid) or 0,
                           ports=tuple(ports), log_file=str(log_path))
    pid_file(paths, part).write_text(record.to_json())
    log.info("stack_part_started", part=part, pid=child.pid, ports=list(ports), log_file=str(log_path))
    return record


def is_alive(record: ProcessRecord) -> bool:
    """True when the recorded PID is still the JVM this stack started (not a zombie, not a reuse)."""
    child = _children.get(record.pid)
    if child is not None:
        # Our own child: only its exit status is exact. /proc looks "gone" (an empty cmdline) while
        # a JVM is still exiting, and an unreaped child would then linger as a zombie.
        if child.poll() is None:
            return True
        _children.pop(record.pid, None)
        return False
    stat = _stat_fields(record.pid)
    if stat is None or stat[0] == "Z":
        return False
    if record.start_ticks and int(stat[19]) != record.start_ticks:
        return False
    try:
        cmdline = Path(f"/proc/{record.pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return f"{PART_MARKER}{record.part}".encode() in cmdline


def stop(record: ProcessRecord, *, timeout: float = 30.0) -> str:
    """SIGTERM, wait up to ``timeout`` s, then SIGKILL. Returns stopped, killed or not_running."""
    if not is_alive(record):
        return "not_running"
    _signal(record, signal.SIGTERM)
    if _wait_gone(record, timeout):
        log.info("stack_part_stopped", part=record.part, pid=record.pid)
        return "stopped"
    log.warning("stack_part_stop_timed_out", part=record.part, pid=record.pid, timeout_s=timeout)
    kill(record)
    return "killed"


def kill(record: ProcessRecord, *, timeout: float = 10.0) -> None:
    """SIGKILL the part (a crash, as fault tests need) and wait until it is gone."""
    if not is_alive(record):
        return
    _signal(record, signal.SIGKILL)
    if not _wait_gone(record, timeout):
        raise StackError(
            f"{record.part} (pid {record.pid}) survived SIGKILL for {timeout:.0f} s; check `ps -p {record.pid}`"
        )
    log.info("stack_part_killed", part=record.part, pid=record.pid)


def rss_bytes(pid: int) -> int | None:
    """Resident memory of ``pid`` from /proc, or None when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _signal(record: ProcessRecord, signum: signal.Signals) -> None:
    try:
        os.kill(record.pid, signum)
    except ProcessLookupError:
        pass


def _wait_gone(record: ProcessRecord, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_alive(record):
            return True
        time.sleep(0.1)
    return not is_alive(record)


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name: [state, ppid, ...]."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()


def _start_ticks(pid: int) -> int | None:
    stat = _stat_fields(pid)
    return int(stat[19]) if stat else None
