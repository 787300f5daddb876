"""The feed's inbox stops reading the socket when too many frames, or too many bytes, wait to be decoded."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from types import SimpleNamespace

from coinstream.tiingo.client import _TEXT, _Inbox


@dataclass
class Reading:
    paused: bool = False
    calls: list[str] = field(default_factory=list)

    def pause_reading(self) -> None:
        self.paused = True
        self.calls.append("pause")

    def resume_reading(self) -> None:
        self.paused = False
        self.calls.append("resume")


def frame(payload: bytes) -> SimpleNamespace:
    return SimpleNamespace(msg_type=_TEXT, fin=True, payload_size=len(payload), last_in_buffer=True,
                           get_payload_as_bytes=lambda: payload)


def inbox_with(max_pending: int, max_pending_bytes: int) -> tuple[_Inbox, Reading]:
    reading = Reading()
    inbox = _Inbox(asyncio.new_event_loop(), max_pending, max_pending_bytes)
    inbox.transport = SimpleNamespace(underlying_transport=reading)
    return inbox, reading


def test_large_frames_pause_the_socket_at_the_byte_bound_and_taking_them_resumes_it():
    inbox, reading = inbox_with(max_pending=1_000, max_pending_bytes=10_000)
    for _ in range(3):
        inbox.on_ws_frame(inbox.transport, frame(b"x" * 4_000))

    assert reading.calls == ["pause"]                    # 12,000 bytes pending, 3 frames: the byte bound
    assert inbox.pending_bytes == 12_000
    assert len(inbox.take(2)) == 2
    assert inbox.pending_bytes == 4_000
    assert reading.calls == ["pause", "resume"]
    inbox.loop.close()


def test_small_frames_pause_the_socket_at_the_frame_bound():
    inbox, reading = inbox_with(max_pending=5, max_pending_bytes=10_000)
    for _ in range(5):
        inbox.on_ws_frame(inbox.transport, frame(b"{}"))

    assert reading.paused and inbox.pending_bytes == 10
    inbox.take(100)
    assert not reading.paused and inbox.pending_bytes == 0 and inbox.frames == []
    inbox.loop.close()
