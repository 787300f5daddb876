"""Recordings of feed sessions as JSONL, written by the source or the simulator, replayed by both.

One line per entry. A session line opens each session and carries the session id, so replaying
it yields the same trade ids; each frame line carries the UTC microsecond it was received (or
sent) and the frame exactly as it was::

    {"type":"session","format":"coinstream-tiingo-recording/1","session_id":"...","started_us":...}
    {"t":1788925354366000,"f":"{\\"messageType\\":\\"A\\",...}"}

Frames that are not UTF-8 are stored base64-encoded under ``"b"`` instead of ``"f"``.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

FORMAT = "coinstream-tiingo-recording/1"


@dataclass(frozen=True, slots=True)
class RecordedSession:
    """The session line of a recording."""

    session_id: str
    started_us: int
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RecordedFrame:
    """One frame line: when it was received (UTC micros) and its bytes."""

    received_us: int
    raw: bytes


class RecordingError(ValueError):
    """A recording file that cannot be replayed (says which line and why)."""


class Recorder:
    """Appends sessions and frames to a JSONL recording."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[bytes] | None = self.path.open("ab")

    def start_session(self, session_id: str, started_us: int, **details: Any) -> None:
        """Write a session line; the frames written next belong to it."""
        self._write(orjson.dumps({"type": "session", "format": FORMAT, "session_id": session_id,
                                  "started_us": started_us, **details}) + b"\n")

    def frame(self, received_us: int, raw: bytes) -> None:
        """Write one frame line."""
        try:
            body = b'"f":' + orjson.dumps(raw.decode())
        except UnicodeDecodeError:
            body = b'"b":"' + base64.b64encode(raw) + b'"'
        self._write(b'{"t":%d,%s}\n' % (received_us, body))

    def flush(self) -> None:
        """Push buffered lines to the file."""
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        """Flush and close; safe to call twice."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def _write(self, line: bytes) -> None:
        if self._file is None:
            raise RecordingError(f"recording {self.path} is closed")
        self._file.write(line)


def read_recording(path: str | Path) -> Iterator[RecordedSession | RecordedFrame]:
    """Yield the sessions and frames of a recording in order."""
    source = Path(path)
    if not source.is_file():
        raise RecordingError(f"recording {source} does not exist; record one with `coinstream simulate "
                             "--record FILE` or the source's `record` setting")
    with source.open("rb") as lines:
        seen_session = False
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                entry = orjson.loads(line)
                if "t" in entry:
                    if not seen_session:
                        raise RecordingError("a frame comes before any session line")
                    raw = entry["f"].encode() if "f" in entry else base64.b64decode(entry["b"])
                    yield RecordedFrame(int(entry["t"]), raw)
                elif entry.get("type") == "session":
                    seen_session = True
                    details = {k: v for k, v in entry.items() if k not in ("type", "format", "session_id",
                                                                           "started_us")}
                    yield RecordedSession(str(entry["session_id"]), int(entry["started_us"]), details)
                else:
                    raise RecordingError("neither a session line nor a frame line")
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as error:
                raise RecordingError(f"{source}:{number}: cannot replay this line ({error}); "
                                     f"is it a {FORMAT} file?") from None
