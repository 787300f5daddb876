"""Replay a recorded feed through the decoder: the same sessions and positions, so the same ids."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import structlog
from coinstream.core import SourceStats
from coinstream.tiingo.protocol import FrameDecoder
from coinstream.tiingo.recording import RecordedSession, read_recording
from coinstream.tiingo.timestamps import format_iso_micros

log = structlog.get_logger(__name__)

_UNPACED_BATCH = 5_000


class ReplayFeed:
    """Yields the records of a recording, paced at ``speed`` x the original (0: no waiting).

    ``ingest_time`` is the recorded receive time, so a replay reproduces the session's records
    exactly (ids, times and all).
    """

    def __init__(self, path: str | Path, speed: float, decoder: FrameDecoder, stats: SourceStats) -> None:
        self.path = Path(path)
        self.speed = speed
        self.decoder = decoder
        self.stats = stats
        self._closing = False

    async def close(self) -> None:
        """Stop reading the recording; what was already decoded is still yielded, then the iterator ends."""
        self._closing = True

    async def batches(self) -> AsyncIterator[list[Any]]:
        """Yield record batches; ends at the end of the recording."""
        decode = self.decoder.decode
        session_id = ""
        sequence = 0
        last_frame_us = 0
        started = time.monotonic()
        first_us: int | None = None
        records: list[Any] = []
        for entry in read_recording(self.path):
            if self._closing:
                break
            if isinstance(entry, RecordedSession):
                if last_frame_us:
                    self._gap(last_frame_us, entry.started_us)
                session_id, sequence = entry.session_id, 0
                log.info("replay_session", path=str(self.path), session_id=session_id)
                continue
            if first_us is None:
                first_us = entry.received_us
            if self.speed > 0:
                due = started + (entry.received_us - first_us) / 1_000_000 / self.speed
                wait = due - time.monotonic()
                if wait > 0:
                    if records:
                        yield records
                        records = []
                    await asyncio.sleep(wait)
            decode(entry.raw, session_id, sequence, entry.received_us, records)
            sequence += 1
            last_frame_us = entry.received_us
            if len(records) >= _UNPACED_BATCH:
                yield records
                records = []
                await asyncio.sleep(0)
        if records:
            yield records

    def _gap(self, start_us: int, end_us: int) -> None:
        self.stats.gaps += 1
        log.warning("feed_gap", gap_start=format_iso_micros(start_us), gap_end=format_iso_micros(end_us),
                    seconds=round((end_us - start_us) / 1_000_000, 3), reason="recorded session ended")
