"""The spool's files: append-only segments of outbound messages, each deleted once Kafka
acknowledged every record in it.

Records are appended to the active segment, one ``write()`` per source batch. Acknowledgements
come back out of order (partitions are independent), so each segment only counts its records
not yet acknowledged; at zero, and once it is no longer the active one, its file is deleted. The
active segment is replaced when it reaches its size or age, so a restart re-sends at most a few
seconds of records Kafka already had (downstream deduplication by trade_id removes them).

One process at a time: the folder is locked (``flock``) while a spool is open. Beside the segments
the folder keeps the read mark (``read_mark``): the last record read, for the gap of the ingestor's
absence at the next start.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from coinstream.core.ingest.spool.format import ReadResult, read_records
from coinstream.core.ingest.gaps import PreviousRun
from coinstream.core.ingest.spool.read_mark import ReadMark

log = structlog.get_logger(__name__)

SEGMENT_SUFFIX = ".spool"
LOCK_NAME = "lock"
MAX_SEGMENT_BYTES = 16 << 20
MIN_SEGMENT_BYTES = 64 << 10
ROLL_AFTER_S = 5.0
READ_CHUNK_BYTES = 1 << 20


def default_spool_dir(pipeline_name: str, environ: dict[str, str] | None = None) -> Path:
    """``$XDG_STATE_HOME/coinstream/spool/<pipeline name>``, ``~/.local/state/...`` when unset: per
    user, kept across reboots (unlike /tmp), and outside any checkout or working folder."""
    environ = dict(os.environ) if environ is None else environ
    state = environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "coinstream" / "spool" / pipeline_name


class SpoolLockedError(RuntimeError):
    """Another process has the spool folder open."""


class SpoolWriteError(OSError):
    """The spool could not write (a full disk, for one); the message names the file and the fix."""


@dataclass(eq=False, slots=True)
class Segment:
    """One segment file and its counters."""

    sequence: int
    path: Path
    opened: float
    size: int = 0  # bytes in the file
    end: int = 0  # bytes that hold whole, checked records
    durable: int = 0  # bytes known to be fsynced
    records: int = 0
    outstanding: int = 0  # records Kafka has not acknowledged yet
    produced: int = 0  # records handed to the producer at least once
    recovered: bool = False  # found at start: written by an earlier run
    closed: bool = False
    callbacks: Any = None  # the delivery callbacks a sender attaches (per segment, not per record)


class Spool:
    """A bounded folder of segment files; see the module docstring."""

    def __init__(self, directory: Path, max_bytes: int, *, durable_reads: bool = True,
                 segment_bytes: int | None = None, roll_after_s: float = ROLL_AFTER_S) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.durable_reads = durable_reads  # readers see only fsynced records (spool_sync = "batch")
        self.segment_bytes = segment_bytes or max(MIN_SEGMENT_BYTES, min(MAX_SEGMENT_BYTES, max_bytes // 16))
        self.roll_after_s = roll_after_s
        self.on_release: Callable[[], None] | None = None
        self.bytes = 0  # bytes on disk
        self.records = 0  # records not yet acknowledged
        self.recovered_records = 0
        self.written_bytes = 0  # appended by this process, for the bytes a record takes on disk
        self.written_records = 0
        self._segments: dict[int, Segment] = {}
        self._active: Segment | None = None
        self._fd = -1
        self._lock_fd = -1
        self._fd_lock = threading.Lock()  # sync() runs in a worker thread; a roll closes the fd
        self.mark = ReadMark(self.directory)
        self.previous_run: PreviousRun | None = None  # what the run before left in the read mark

    # -- opening and closing ----------------------------------------------------------------
    def open(self) -> Spool:
        """Lock the folder, take stock of the segments an earlier run left, start a new one."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock()
        self.previous_run = self.mark.open()
        last = 0
        for path in sorted(self.directory.glob(f"*{SEGMENT_SUFFIX}")):
            last = max(last, self._recover(path))
        self._start_segment(last + 1)  # after every name seen, kept or not
        log.info("spool_opened", directory=str(self.directory), records_to_resend=self.recovered_records,
                 segments=len(self._segments) - 1, spool_bytes=self.bytes, max_bytes=self.max_bytes)
        return self

    def _lock(self) -> None:
        fd = os.open(self.directory / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise SpoolLockedError(
                f"the spool {self.directory} is in use by another ingestor (pid {holder}); give each ingestor "
                "its own [ingest] spool_dir (or COINSTREAM_SPOOL_DIR), or stop the other one") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._lock_fd = fd

    def _recover(self, path: Path) -> int:
        try:
            sequence = int(path.stem)
        except ValueError:
            log.warning("spool_file_ignored", file=str(path), hint="not a segment name; remove it")
            return 0
        data = path.read_bytes()
        result = read_records(data, decode=False)
        if result.problem is not None:
            # A SIGKILL or a power loss in the middle of a write leaves a torn last record.
            log.warning("spool_record_skipped", segment=path.name, offset=result.consumed,
                        bytes_skipped=len(data) - result.consumed, problem=result.problem,
                        hint="a write cut short by a crash; the records before it are re-sent")
        if result.records == 0:
            path.unlink()
            return sequence
        segment = Segment(sequence, path, time.monotonic(), size=len(data), end=result.consumed,
                          durable=result.consumed, records=result.records, outstanding=result.records,
                          recovered=True, closed=True)
        self._segments[sequence] = segment
        self.bytes += segment.size
        self.records += segment.records
        self.recovered_records += segment.records
        return sequence

    def close(self) -> None:
        """fsync and close the active segment; delete it and the lock when nothing is left, and the
        folder too when no record was ever read (else the read mark stays for the next start)."""
        self.mark.close()
        if self._active is not None:
            with self._fd_lock:
                os.fdatasync(self._fd)
                os.close(self._fd)
                self._fd = -1
            active, self._active = self._active, None
            active.closed = True
            if active.outstanding == 0:
                self._release(active)
        if self._lock_fd >= 0:
            if not self._segments:
                with contextlib.suppress(OSError):
                    (self.directory / LOCK_NAME).unlink()
                    self.directory.rmdir()
            os.close(self._lock_fd)
            self._lock_fd = -1

    # -- writing ----------------------------------------------------------------------------
    def full(self, incoming: int) -> bool:
        """True when ``incoming`` more bytes would pass the bound (an empty spool takes any batch)."""
        return self.bytes > 0 and self.bytes + incoming > self.max_bytes

    def append(self, data: bytes, count: int) -> tuple[Segment, int]:
        """Write ``count`` framed records at once; return their segment and their offset in it."""
        active = self._active
        assert active is not None, "the spool is not open"
        if active.size >= self.segment_bytes or (active.size and time.monotonic() - active.opened >= self.roll_after_s):
            active = self._roll()
        start = active.size
        view = memoryview(data)
        written = 0
        try:
            while written < len(data):
                written += os.write(self._fd, view[written:])
        except OSError as error:
            raise SpoolWriteError(error.errno, (
                f"cannot write {len(data):,} bytes to the spool segment {active.path} ({error.strerror}); "
                + ("free disk space or lower [ingest] spool_max_bytes" if error.errno == errno.ENOSPC
                   else "check the folder's permissions and disk"))) from None
        active.size = active.end = start + len(data)
        active.records += count
        active.outstanding += count
        self.bytes += len(data)
        self.records += count
        self.written_bytes += len(data)
        self.written_records += count
        return active, start

    def sync(self) -> None:
        """fsync the active segment (safe from a worker thread while the loop appends)."""
        with self._fd_lock:
            active, fd = self._active, self._fd
            if active is None or active.durable >= active.end:
                return
            end = active.end
            os.fdatasync(fd)
            active.durable = max(active.durable, end)

    @property
    def unsynced(self) -> bool:
        """True when the active segment holds records written but not yet fsynced."""
        return self._active is not None and self._active.durable < self._active.end

    def make_room(self) -> None:
        """Close the active segment when Kafka acknowledged all of it, so its file is deleted."""
        if self._active is not None and self._active.size and self._active.outstanding == 0:
            self._roll()

    def _start_segment(self, sequence: int) -> Segment:
        path = self.directory / f"{sequence:020d}{SEGMENT_SUFFIX}"
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        directory = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(directory)  # the new file's name survives a power loss too
        finally:
            os.close(directory)
        segment = Segment(sequence, path, time.monotonic())
        self._segments[sequence] = self._active = segment
        return segment

    def _roll(self) -> Segment:
        old = self._active
        assert old is not None
        with self._fd_lock:
            os.fdatasync(self._fd)
            os.close(self._fd)
            old.durable, old.closed = old.end, True
            new = self._start_segment(old.sequence + 1)
        if old.outstanding == 0:
            self._release(old)
        return new

    # -- acknowledging and reading ----------------------------------------------------------
    def acknowledge(self, segment: Segment, count: int = 1) -> None:
        """Kafka has ``count`` records of the segment; its file goes once it has all and is closed."""
        segment.outstanding -= count
        self.records -= count
        if segment.outstanding == 0 and segment.closed:
            self._release(segment)

    def _release(self, segment: Segment) -> None:
        if self._segments.pop(segment.sequence, None) is None:
            return
        with contextlib.suppress(FileNotFoundError):
            segment.path.unlink()
        self.bytes -= segment.size
        if self.on_release is not None:
            self.on_release()

    def readable_end(self, segment: Segment) -> int:
        """Where readers stop in a segment: its fsynced records, or all whole records when reads
        need not wait for the fsync."""
        return segment.durable if self.durable_reads else segment.end

    def read(self, segment: Segment, offset: int, limit: int) -> ReadResult:
        """Read up to ``limit`` records of a segment from ``offset`` (a record boundary)."""
        end = self.readable_end(segment)
        want = min(end - offset, READ_CHUNK_BYTES)
        with open(segment.path, "rb", buffering=0) as file:
            while True:
                data = os.pread(file.fileno(), want, offset)
                result = read_records(data, limit)
                if result.records or not result.cut or offset + want >= end:
                    return result
                want = min(end - offset, want * 2)  # a record larger than the chunk

    def first(self) -> Segment | None:
        """Return the oldest segment."""
        return next(iter(self._segments.values()), None)

    def after(self, segment: Segment) -> Segment | None:
        """Return the segment written after this one, or None when it is the newest."""
        active = self._active
        for sequence in range(segment.sequence + 1, (active.sequence if active else segment.sequence) + 1):
            found = self._segments.get(sequence)
            if found is not None:
                return found
        return None

    def is_active(self, segment: Segment) -> bool:
        """True for the segment being appended to."""
        return segment is self._active

    def segments(self) -> Iterator[Segment]:
        """The segments, oldest first."""
        return iter(list(self._segments.values()))
