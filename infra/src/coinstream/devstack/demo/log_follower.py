"""Following a child's JSON log file: the latest event of each name, as it is written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class LogFollower:
    """Reads the lines appended to a JSON-lines log since the last call."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self._partial = b""
        self.latest: dict[str, dict[str, Any]] = {}
        self.counts: dict[str, int] = {}

    def poll(self) -> list[dict[str, Any]]:
        """Return the events written since the previous poll (non-JSON lines are skipped)."""
        if not self.path.exists():
            return []
        with open(self.path, "rb") as handle:
            handle.seek(self._offset)
            chunk = handle.read()
            self._offset += len(chunk)
        lines = (self._partial + chunk).split(b"\n")
        self._partial = lines.pop()
        events = []
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict) and isinstance(event.get("event"), str):
                events.append(event)
                self.latest[event["event"]] = event
                self.counts[event["event"]] = self.counts.get(event["event"], 0) + 1
        return events
