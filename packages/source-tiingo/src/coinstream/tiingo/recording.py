"""Recordings of feed sessions as JSONL, written by the source or the simulator, replayed by both.

One line per entry. A session line opens each session and carries the session id, so replaying
it yields the same trade ids; each frame line carries the UTC microsecond it was received (or
sent) and the frame exactly as it was::

    {"type":"session","format":"coinstream-tiingo-recording/1","session_id":"...","started_us":...}
    {"t":1788925354366000,"f":"{\\"messageType\\":\\"A\\",...}"}

Frames that are not UTF-8 are stored base64-encoded under ``"b"`` instead of ``"f"``.

Crash safety: the recorder fsyncs at a flush at most every ``sync_interval_ms`` (0: at every
flush). A process killed mid-write leaves a torn last line; a recorder that appends to the file
later first ends that line, so the sessions after it stay readable, and the reader skips the
torn line (``recording_torn_line``): a line that does not parse and is either the last one with
no newline or directly followed by a session line. Any other bad line is an error.
"""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson
import structlog

log = structlog.get_logger(__name__)

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
    """Appends sessions and frames to a JSONL recording; fsyncs at most every ``sync_interval_ms`` (0: every flush)."""

    def __init__(self, path: str | Path, sync_interval_ms: int = 1_000) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.sync_interval_s = sync_interval_ms / 1000
        self._synced_at = time.monotonic()
        self._file: IO[bytes] | None = self.path.open("ab")
        if self._file.tell() > 0 and not _ends_with_newline(self.path):
            self._file.write(b"\n")  # end a line torn by a crash, so the next session starts a line of its own

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
        """Push buffered lines to the file, and fsync when the sync interval has passed."""
        if self._file is not None:
            self._file.flush()
            now = time.monotonic()
            if now - self._synced_at >= self.sync_interval_s:
                os.fsync(self._file.fileno())
                self._synced_at = now

    def close(self) -> None:
        """Flush, fsync and close; safe to call twice."""
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None

    def _write(self, line: bytes) -> None:
        if self._file is None:
            raise RecordingError(f"recording {self.path} is closed")
        self._file.write(line)


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


def read_recording(path: str | Path) -> Iterator[RecordedSession | RecordedFrame]:
    """Yield the sessions and frames of a recording in order, skipping a line torn by a crash."""
    source = Path(path)
    if not source.is_file():
        raise RecordingError(f"recording {source} does not exist; record one with `coinstream simulate "
                             "--record FILE` or the source's `record` setting")
    with source.open("rb") as lines:
        seen_session = False
        unreadable: tuple[int, bytes, str] | None = None  # a bad line, judged by what follows it
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                entry = orjson.loads(line)
            except orjson.JSONDecodeError as error:
                if unreadable is not None:
                    raise _cannot_replay(source, *unreadable) from None
                unreadable = (number, line, str(error))
                continue
            if unreadable is not None:
                if not (type(entry) is dict and entry.get("type") == "session"):
                    raise _cannot_replay(source, *unreadable)
                _torn(source, *unreadable)
                unreadable = None
            try:
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
            except (KeyError, TypeError, ValueError, AttributeError) as error:
                raise _cannot_replay(source, number, line, str(error)) from None
        if unreadable is not None:
            if unreadable[1].endswith(b"\n"):
                raise _cannot_replay(source, *unreadable)
            _torn(source, *unreadable)


def _cannot_replay(source: Path, number: int, _line: bytes, error: str) -> RecordingError:
    return RecordingError(f"{source}:{number}: cannot replay this line ({error}); is it a {FORMAT} file?")


def _torn(source: Path, number: int, line: bytes, error: str) -> None:
    log.warning("recording_torn_line", path=str(source), line=number, bytes=len(line), error=error,
                hint="the recorder was killed mid-write; the line is skipped")
