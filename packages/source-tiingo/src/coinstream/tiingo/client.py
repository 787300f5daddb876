"""The live websocket feed: connect, subscribe, read, watch for silence, reconnect, decode.

Why picows: every Tiingo trade is its own websocket message, so the per-message cost of the
client decides the ingest rate. picows parses frames in Cython and hands each one to a plain
callback with no per-message future or queue; aiohttp and websockets pay for an awaitable per
message. bench/ws_clients.py measures the three against the simulator (README: Performance).

Frames are collected by the picows callback and decoded in bulk by the consumer: one batch per
wake-up holds everything that arrived meanwhile, so per-batch overhead is amortised.

Every interval in which the feed was not read while the source ran (a dropped or closed connection,
a heartbeat timeout, an error frame, a message over the transport cap, and the failed connection
attempts that follow) is a :class:`coinstream.core.FeedGap` record at the head of the first batch
read after it. Tiingo's frames carry no sequence number, so ``missing_trades`` is always None.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import structlog
from coinstream.core import FeedGap, SourceStats, redact_text
from coinstream.tiingo.backoff import Backoff
from coinstream.tiingo.errors import TiingoAuthError, TiingoSubscriptionError
from coinstream.tiingo.protocol import FrameDecoder, Info, ServerError, subscribe_frame
from coinstream.tiingo.recording import Recorder
from coinstream.tiingo.settings import TRANSPORT_MAX_FRAME_BYTES, TiingoSettings
from coinstream.tiingo.timestamps import format_iso_micros
from picows import WSCloseCode, WSError, WSInvalidStatusError, WSListener, WSMsgType, WSTransport, ws_connect

log = structlog.get_logger(__name__)

AUTH_CODES = frozenset({401, 403})
RATE_LIMITED = 429
# The hard cap on one message. picows refuses a larger frame from its header (it logs "WS parser
# error", sends close 1009 and disconnects), and _Inbox does the same for fragmented messages: the
# feed records a reconnect (stats.extra["frames_over_cap"]). Smaller frames over max_frame_bytes
# become dead letters in the decoder.
_MAX_FRAME_BYTES = TRANSPORT_MAX_FRAME_BYTES
_MESSAGE_TOO_BIG = WSCloseCode.MESSAGE_TOO_BIG
_TEXT = WSMsgType.TEXT
_BINARY = WSMsgType.BINARY
_CONTINUATION = WSMsgType.CONTINUATION
_CLOSE = WSMsgType.CLOSE
# Frames decoded per batch handed to the sink. A backlog (the socket buffers hold ~100,000 frames
# at the ingest ceiling) is still drained before the loop reads again, but in batches of this
# size, so only one batch's records are alive at a time. Yielding to the event loop between
# batches was tried: the loop then read more frames than it drained, and throughput fell 17 %.
_FRAMES_PER_BATCH = 5_000
# The gaps kept for inspection (``TiingoFeed.gaps``): each one was yielded as a record already, and a
# feed that reconnects for days must not grow a list for ever.
RECENT_GAPS = 100


def now_us() -> int:
    """Return the current UTC time in microseconds since the epoch."""
    return time.time_ns() // 1000


@dataclass(slots=True)
class FeedSession:
    """One websocket connection's feed session; trade ids derive from its id and frame positions."""

    session_id: str
    started_us: int
    next_sequence: int = 0
    subscription_id: int | None = None
    ended: str | None = None  # why the session ended, once it did


class _Inbox(WSListener):  # type: ignore[misc]
    """picows listener: queues frame payloads with their receive time; the feed takes them in bulk."""

    def __init__(self, loop: asyncio.AbstractEventLoop, max_pending: int, max_pending_bytes: int = 1 << 62) -> None:
        super().__init__()
        self.loop = loop
        self.max_pending = max_pending
        self.max_pending_bytes = max_pending_bytes
        self.frames: list[tuple[bytes, int]] = []
        self.pending_bytes = 0  # payload bytes of ``frames``: large frames fill memory long before the count
        self.transport: WSTransport | None = None
        self.disconnected = False
        self.stopped = False  # disconnect() was called: no more bytes are read
        self.close_code: int | None = None
        self.close_reason = ""
        self.too_big = ""  # why a message over the transport cap ended the connection, if one did
        self._waiter: asyncio.Future[bool] | None = None
        self._stamp = 0
        self._paused = False
        self._fragments: list[bytes] = []
        self._fragments_size = 0
        self._settled: asyncio.Task[None] | None = None

    # -- picows callbacks (hot path) ---------------------------------------------------------
    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport

    def on_ws_frame(self, transport: WSTransport, frame: Any) -> None:
        kind = frame.msg_type
        if kind is _TEXT or kind is _BINARY or kind is _CONTINUATION:
            if not frame.fin or self._fragments:
                self._fragments_size += frame.payload_size
                if self._fragments_size > _MAX_FRAME_BYTES:
                    self._refuse_fragments(transport)
                    return
                self._fragments.append(frame.get_payload_as_bytes())
                if not frame.fin:
                    return
                payload = b"".join(self._fragments)
                self._fragments.clear()
                self._fragments_size = 0
            else:
                payload = frame.get_payload_as_bytes()
            # One clock read per socket read: frames that arrived together share it.
            stamp = self._stamp or now_us()
            self._stamp = 0 if frame.last_in_buffer else stamp
            self.frames.append((payload, stamp))
            self.pending_bytes += len(payload)
            waiter = self._waiter
            if waiter is not None:
                self._waiter = None
                waiter.set_result(True)
            if not self._paused and (len(self.frames) >= self.max_pending
                                     or self.pending_bytes >= self.max_pending_bytes):
                self._paused = True
                transport.underlying_transport.pause_reading()
        elif kind is _CLOSE:
            self._stamp = 0
            code = frame.get_close_code()
            self.close_code = int(code.value) if code is not None else 1005
            self.close_reason = (frame.get_close_message() or b"").decode(errors="replace")
            if code is not None:
                transport.send_close(code)
            else:
                transport.send_close()
            transport.disconnect()
        else:
            self._stamp = 0

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        handshake = transport.close_handshake
        sent = handshake.sent if handshake is not None else None
        if sent is not None and sent.code == _MESSAGE_TOO_BIG and not self.too_big:
            self.too_big = sent.reason or "a frame over the cap"
        if sent is not None:
            # After a protocol error picows stores it in wait_disconnected(); take it so that asyncio
            # does not log "Future exception was never retrieved": the feed reports it as the reconnect reason.
            self._settled = self.loop.create_task(_settle(transport))
        self.disconnected = True
        self._wake(True)

    def _refuse_fragments(self, transport: WSTransport) -> None:
        """A fragmented message grew over the cap: end the connection as picows does for one frame."""
        self.too_big = f"fragmented message over {_MAX_FRAME_BYTES:,} bytes (at least {self._fragments_size:,})"
        self._fragments.clear()
        self._fragments_size = 0
        transport.send_close(_MESSAGE_TOO_BIG, self.too_big.encode())
        transport.disconnect()

    # -- consumer side ---------------------------------------------------------------------------
    def take(self, limit: int) -> list[tuple[bytes, int]]:
        """Return up to ``limit`` of the oldest frames, and resume reading once the inbox has room."""
        frames = self.frames
        if len(frames) > limit:
            self.frames = frames[limit:]
            frames = frames[:limit]
            self.pending_bytes -= sum(len(payload) for payload, _ in frames)
        else:
            self.frames = []
            self.pending_bytes = 0
        if (self._paused and len(self.frames) < self.max_pending and self.pending_bytes < self.max_pending_bytes
                and self.transport is not None and not self.stopped):
            self._paused = False
            self.transport.underlying_transport.resume_reading()
        return frames

    async def wait(self, timeout: float) -> bool:
        """Wait for a frame or a disconnect; False when ``timeout`` seconds passed in silence."""
        waiter = self.loop.create_future()
        self._waiter = waiter
        timer = self.loop.call_later(timeout, self._wake, False)
        try:
            return await waiter
        finally:
            timer.cancel()
            self._waiter = None

    def _wake(self, value: bool) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            self._waiter = None
            waiter.set_result(value)

    def disconnect(self) -> None:
        """Stop reading now (the socket is aborted); frames already queued stay for the consumer."""
        self.stopped = True
        if self.transport is not None and not self.disconnected:
            self.transport.disconnect(graceful=False)
        self._wake(True)


async def _settle(transport: WSTransport) -> None:
    with contextlib.suppress(Exception):
        await transport.wait_disconnected()


class _Reconnect(Exception):
    """The connection is over; reconnect after at least ``floor`` seconds."""

    def __init__(self, reason: str, floor: float = 0.0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.floor = floor


class TiingoFeed:
    """Reads the websocket feed for ever (until :meth:`close`), reconnecting as needed."""

    def __init__(self, settings: TiingoSettings, decoder: FrameDecoder, stats: SourceStats,
                 recorder: Recorder | None = None) -> None:
        self.settings = settings
        self.decoder = decoder
        self.stats = stats
        self.recorder = recorder
        self.gaps: deque[FeedGap] = deque(maxlen=RECENT_GAPS)  # the latest, already yielded as records
        self.session: FeedSession | None = None
        self._closing = asyncio.Event()
        self._inbox: _Inbox | None = None
        self._gap_start: tuple[int, str, str] | None = None  # last frame's time, reason, the session it follows
        self._last_frame_us = 0
        self._connections = 0
        stats.extra.setdefault("connect_failures", 0)
        stats.extra.setdefault("frames_over_cap", 0)

    async def close(self) -> None:
        """Stop reading: no new bytes are read, but every frame already received is still decoded and
        yielded (and recorded); then the batch iterator ends."""
        self._closing.set()
        if self._inbox is not None:
            self._inbox.disconnect()

    async def batches(self) -> AsyncIterator[list[Any]]:
        """Yield lists of records (trades, quotes, dead letters) as frames arrive."""
        backoff = Backoff(self.settings.reconnect_initial_s, self.settings.reconnect_max_s)
        while not self._closing.is_set():
            inbox = await self._connect(backoff)
            if inbox is None:
                return
            self._inbox = inbox
            ended = "closed"
            try:
                async for batch in self._read(inbox, backoff):
                    yield batch
                return  # closing
            except _Reconnect as reconnect:
                ended = reconnect.reason
                self._end_session(ended)
                self._open_gap(reconnect.reason)
                delay = backoff.next_delay(floor=reconnect.floor)
                log.warning("feed_reconnecting", reason=reconnect.reason, delay_s=round(delay, 3),
                            attempt=backoff.attempts, session_id=self.session.session_id if self.session else None)
                await self._pause(delay)
            except BaseException as error:
                ended = f"{type(error).__name__}: {error}"
                raise
            finally:
                if self.session is not None and self.session.ended is None:
                    self._end_session(ended)
                inbox.disconnect()
                self._inbox = None

    async def _connect(self, backoff: Backoff) -> _Inbox | None:
        """Connect and subscribe, retrying with backoff; None when closing. Raises for a bad key."""
        loop = asyncio.get_running_loop()
        settings = self.settings
        while not self._closing.is_set():
            floor = 0.0
            try:
                transport, inbox = await asyncio.wait_for(
                    ws_connect(lambda: _Inbox(loop, settings.max_pending_frames, settings.max_pending_bytes),
                               settings.url, websocket_handshake_timeout=settings.connect_timeout_s,
                               max_frame_size=_MAX_FRAME_BYTES, enable_auto_pong=True),
                    settings.connect_timeout_s)
            except WSInvalidStatusError as error:
                status = int(error.response.status) if error.response is not None else None
                if status in AUTH_CODES:
                    raise TiingoAuthError(
                        f"{settings.url} refused the websocket upgrade with HTTP {status}: the API key was "
                        "rejected or is not entitled to the crypto feed; check COINSTREAM_TIINGO_API_KEY") from None
                floor = settings.rate_limited_s if status == RATE_LIMITED else 0.0
                reason = f"HTTP {status}"
            except (TimeoutError, OSError, WSError) as error:
                reason = redact_text(f"{type(error).__name__}: {error}")
            else:
                return self._start_session(transport, inbox)
            self.stats.extra["connect_failures"] += 1
            delay = backoff.next_delay(floor=floor)
            log.warning("feed_connect_failed", url=settings.url, error=reason, attempt=backoff.attempts,
                        delay_s=round(delay, 3))
            await self._pause(delay)
        return None

    def _start_session(self, transport: WSTransport, inbox: _Inbox) -> _Inbox:
        started = now_us()
        session = FeedSession(f"{started}-{secrets.token_hex(4)}", started)
        self.session = session
        self.stats.session_id = session.session_id
        self._connections += 1
        if self._connections > 1:
            self.stats.reconnects += 1
        settings = self.settings
        transport.send(_TEXT, subscribe_frame(settings.api_key_text(), settings.threshold_level,
                                              list(settings.tickers)))
        if self.recorder is not None:
            self.recorder.start_session(session.session_id, started, url=settings.url,
                                        threshold_level=settings.threshold_level, tickers=list(settings.tickers))
        log.info("feed_connected", url=settings.url, session_id=session.session_id,
                 threshold_level=settings.threshold_level, tickers=len(settings.tickers))
        return inbox

    async def _read(self, inbox: _Inbox, backoff: Backoff) -> AsyncIterator[list[Any]]:
        session = self.session
        assert session is not None
        decode = self.decoder.decode
        recorder = self.recorder
        timeout = self.settings.heartbeat_timeout_s
        session_id = session.session_id
        closing = self._closing
        while True:
            if not inbox.frames:
                if closing.is_set():
                    return  # the inbox is drained
                if inbox.disconnected:
                    raise self._lost(inbox)
                if not await inbox.wait(timeout):
                    log.warning("feed_silent", session_id=session_id, seconds=timeout)
                    raise _Reconnect(f"no frame for {timeout} s (heartbeat timeout)")
                continue
            frames = inbox.take(_FRAMES_PER_BATCH)
            self._last_frame_us = frames[-1][1]
            records: list[Any] = []
            if self._gap_start is not None:
                records.append(self._close_gap(frames[0][1]))
            stop: BaseException | None = None
            sequence = session.next_sequence
            for raw, received in frames:
                control = decode(raw, session_id, sequence, received, records)
                sequence += 1
                if recorder is not None:
                    recorder.frame(received, raw)
                if control is not None:
                    stop = self._on_control(control, session, backoff)
                    if stop is not None:
                        break
            session.next_sequence = sequence
            if recorder is not None:
                recorder.flush()
            if records:
                yield records
            if stop is not None:
                raise stop

    def _end_session(self, reason: str) -> None:
        """Log how many frames the session received: its trade ids are positions below that count."""
        session = self.session
        if session is None or session.ended is not None:
            return
        session.ended = reason
        log.info("feed_session_ended", session_id=session.session_id, frames=session.next_sequence,
                 subscription_id=session.subscription_id, reason=reason)

    def _lost(self, inbox: _Inbox) -> _Reconnect:
        if inbox.too_big:
            self.stats.extra["frames_over_cap"] += 1
            return _Reconnect(f"a message over the {_MAX_FRAME_BYTES:,}-byte transport cap ({inbox.too_big})")
        if inbox.close_code is not None:
            return _Reconnect(f"closed by server (code {inbox.close_code}, {inbox.close_reason!r})")
        return _Reconnect("connection lost")

    def _on_control(self, control: Any, session: FeedSession, backoff: Backoff) -> BaseException | None:
        if isinstance(control, Info):
            if control.subscription_id is not None:
                session.subscription_id = control.subscription_id
                backoff.reset()
                log.info("feed_subscribed", session_id=session.session_id, subscription_id=control.subscription_id)
            return None
        if not isinstance(control, ServerError):
            return None  # heartbeat: arrival alone proves the connection lives
        message = redact_text(control.message)
        log.error("feed_error_frame", session_id=session.session_id, code=control.code, message=message)
        if control.code in AUTH_CODES:
            return TiingoAuthError(
                f"{self.settings.url} rejected the API key (E {control.code}: {message!r}); set a valid, "
                "entitled key in COINSTREAM_TIINGO_API_KEY. Not retrying: the same key would fail again.")
        if control.code == 400:
            return TiingoSubscriptionError(
                f"{self.settings.url} refused the subscription (E 400: {message!r}); check threshold_level="
                f"{self.settings.threshold_level} and tickers in the [source.settings] of the pipeline")
        floor = self.settings.rate_limited_s if control.code == RATE_LIMITED else 0.0
        return _Reconnect(f"error frame {control.code}: {message}", floor)

    def _open_gap(self, reason: str) -> None:
        if self._gap_start is None:
            session_id = self.session.session_id if self.session is not None else ""
            self._gap_start = (self._last_frame_us or now_us(), reason, session_id)

    def _close_gap(self, first_frame_us: int) -> FeedGap:
        """The gap from the last frame before the hole to ``first_frame_us``, the first one after it."""
        assert self._gap_start is not None
        start_us, reason, session_id = self._gap_start
        self._gap_start = None
        # The wall clock may have stepped back meanwhile: a gap never ends before it starts.
        gap = FeedGap(source=self.decoder.source, session_id=session_id, gap_start=start_us,
                      gap_end=max(first_frame_us, start_us), reason=reason, missing_trades=None,
                      recorded_time=now_us())
        self.gaps.append(gap)
        self.stats.gaps += 1
        log.warning("feed_gap", gap_start=format_iso_micros(gap.gap_start), gap_end=format_iso_micros(gap.gap_end),
                    seconds=round(gap.seconds, 3), reason=reason, session_id=session_id, gap_id=gap.gap_id,
                    next_session_id=self.session.session_id if self.session else None)
        return gap

    async def _pause(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._closing.wait(), seconds)
        except TimeoutError:
            pass
