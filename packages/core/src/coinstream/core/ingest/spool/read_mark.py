"""The read mark: the last record the ingestor read, kept in the spool folder across runs.

The next start turns it into the gap of the ingestor's own absence: from this record to the first
one the new run reads. The mark also says whether the run that wrote it stopped cleanly (its
spool was closed) or was killed, which names the gap's reason.

It is written after every source batch is appended to the spool, into the page cache (a process
killed with SIGKILL loses nothing written; no fsync per batch), and fsynced when the spool closes.
Each write goes to one of two fixed slots in turn, with a sequence number and a CRC, so a write
torn by a power loss leaves the other slot to read. After a machine crash the mark may be up to
one batch ahead of the spool's last fsynced batch (the page cache is written back in any order).
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path
from zlib import crc32

import structlog

from coinstream.core.ingest.gaps import LastRead, PreviousRun

log = structlog.get_logger(__name__)

MARK_NAME = "read_mark"
SLOT_BYTES = 4096
_PREFIX = struct.Struct("<II")  # body length, crc32(body)
_MAX_TEXT = 1024  # of a session id or source name kept in the mark


class ReadMark:
    """The ``read_mark`` file of a spool folder (the folder must be locked by the caller)."""

    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / MARK_NAME
        self.last_read: LastRead | None = None
        self._fd = -1
        self._sequence = 0
        self._read = False  # this run read a record
        self._previous_clean = True

    def open(self) -> PreviousRun | None:
        """Read what the previous run left, then mark this run as running (a kill from now on is
        told from a clean stop). Returns None when no run read anything here before."""
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        previous = self._load()
        if previous is not None:
            self.last_read = previous.last_read
            self._previous_clean = previous.clean
            self._write(clean=False)
            os.fdatasync(self._fd)
        return previous

    def update(self, last_read: LastRead) -> None:
        """Remember the last record read (after its batch is in the spool)."""
        self.last_read = last_read
        self._read = True
        self._write(clean=False)

    def close(self) -> None:
        """Mark a clean stop, fsync and close; the file stays for the next start. A run that read
        nothing keeps what the previous one left (a kill stays a kill)."""
        if self._fd < 0:
            return
        if self.last_read is not None:
            self._write(clean=True if self._read else self._previous_clean)
            os.fdatasync(self._fd)
        os.close(self._fd)
        self._fd = -1
        if self.last_read is None:
            self.path.unlink(missing_ok=True)  # nothing was ever read here: nothing to leave

    def _write(self, clean: bool) -> None:
        last = self.last_read
        assert last is not None
        self._sequence += 1
        body = json.dumps({"sequence": self._sequence, "read_time": last.read_time,
                           "session_id": last.session_id[:_MAX_TEXT], "source": last.source[:_MAX_TEXT],
                           "clean": clean}, separators=(",", ":")).encode()
        os.pwrite(self._fd, _PREFIX.pack(len(body), crc32(body)) + body, (self._sequence % 2) * SLOT_BYTES)

    def _load(self) -> PreviousRun | None:
        data = os.pread(self._fd, 2 * SLOT_BYTES, 0)
        found: list[tuple[int, PreviousRun]] = []
        for slot in range(2):
            start = slot * SLOT_BYTES
            if len(data) < start + _PREFIX.size:
                continue
            length, checksum = _PREFIX.unpack_from(data, start)
            body = data[start + _PREFIX.size:start + _PREFIX.size + length]
            if not length or len(body) != length or crc32(body) != checksum:
                continue
            try:
                entry = json.loads(body)
                found.append((int(entry["sequence"]), PreviousRun(
                    LastRead(int(entry["read_time"]), str(entry["session_id"]), str(entry["source"])),
                    bool(entry["clean"]))))
            except (ValueError, KeyError, TypeError):
                continue
        if not found:
            if any(data):
                log.warning("read_mark_unreadable", path=str(self.path),
                            hint="neither slot holds a whole mark; no gap is recorded for the time before this start")
            return None
        self._sequence, previous = max(found, key=lambda item: item[0])
        return previous
