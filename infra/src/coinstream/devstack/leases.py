"""Leases on the local stack for concurrent test sessions.

Several pytest sessions (a developer's and a helper's, say) may share one local stack. Each takes
a lease when it starts; the parts any session started are remembered, and only the last session
to leave stops them, so no session pulls the stack from under another.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class StackLeases:
    """The leases of one state folder (``<state>/leases``)."""

    def __init__(self, state: Path, pid: int | None = None) -> None:
        self.folder = state / "leases"
        self.pid = pid or os.getpid()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _started_file(self) -> Path:
        return self.folder / "started.json"

    def _read_started(self) -> set[str]:
        path = self._started_file()
        return set(json.loads(path.read_text())) if path.exists() else set()

    def acquire(self, started: Iterable[str]) -> None:
        """Take this process's lease and remember the parts it started."""
        with self._locked():
            (self.folder / f"{self.pid}.lease").write_text(str(self.pid))
            self._started_file().write_text(json.dumps(sorted(self._read_started() | set(started))))

    def release(self) -> list[str]:
        """Drop this process's lease; return the parts to stop (all started ones) if it was the last."""
        with self._locked():
            (self.folder / f"{self.pid}.lease").unlink(missing_ok=True)
            others = [p for p in self.folder.glob("*.lease") if _alive(int(p.stem))]
            for stale in set(self.folder.glob("*.lease")) - set(others):
                stale.unlink(missing_ok=True)
            if others:
                return []
            started = sorted(self._read_started())
            self._started_file().unlink(missing_ok=True)
            return started
