"""The simulator's server: Tiingo's websocket feed and REST API on one loopback port.

A hand-written asyncio protocol rather than a web framework: server frames are unmasked, so
whole chunks of frames are built as one string and written with one ``transport.write``; that
keeps the simulator well ahead of the ingestor it feeds (bench/ws_clients.py measures it).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import orjson
import structlog
from coinstream.tiingo.protocol import HEARTBEAT_FRAME, error_frame, info_frame
from coinstream.tiingo.recording import RecordedFrame, Recorder, read_recording
from coinstream.tiingo.simulator.faults import NO_FAULTS, FaultPlan
from coinstream.tiingo.simulator.market import Market, MarketView
from coinstream.tiingo.simulator.rest import RestApi
from coinstream.tiingo.simulator.sent_log import SentLog
from coinstream.tiingo.simulator.wire import (
    MAX_HEAD,
    OP_CLOSE,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    ClientFrameReader,
    Request,
    frame,
    http_response,
    parse_request,
    text_frames,
    upgrade_response,
)

log = structlog.get_logger(__name__)

CHUNK = 2_000
_HIGH_WATER = 4 * 1024 * 1024
_FIRST_SUBSCRIPTION_ID = 49_792_869
_GOING_AWAY = frame(b"\x03\xe9simulator stopping", OP_CLOSE)  # 1001
# How long stop() lets each client read what was already written before cutting it off.
STOP_FLUSH_TIMEOUT_S = 10.0
# A data frame's fault -> the stats field it counts in (extra trailing items make a valid trade).
_FAULT_STAT = {"malformed": "malformed_sent", "oversized": "oversized_sent", "invalid": "invalid_sent",
               "extra_items": "trades_sent", "late": "late_sent", "injected": "injected_sent"}
_QUOTE_MARK = '"data":["Q"'


@dataclass
class SimulatorConfig:
    """How the simulator behaves. ``rate`` 0 means as fast as the client reads."""

    host: str = "127.0.0.1"
    port: int = 0
    rate: float = 100.0
    tickers: int = 2_000
    seed: int = 7
    api_key: str | None = None
    heartbeat_interval_s: float = 10.0
    quote_share: float = 0.5
    faults: FaultPlan = NO_FAULTS
    record: Path | None = None
    replay: Path | None = None
    speed: float = 1.0
    max_frames: int | None = None
    sent_log: Path | None = None  # one JSON line per frame written (see coinstream.tiingo.simulator.sent_log)
    inject: tuple[str, ...] = ()  # frames sent at the faults' inject_every positions, each once, in order


REQUESTS_KEPT = 1000
"""How many of the latest subscribe requests and HTTP request targets :class:`SimulatorStats` keeps."""


@dataclass
class SimulatorStats:
    """What the simulator saw and sent; tests assert on it.

    Frames are counted once written to the connection, each in exactly one class:
    ``frames_sent`` = ``control_frames_sent`` (I, H and E) + ``data_frames_sent``, and
    ``data_frames_sent`` = ``trades_sent`` (valid trades) + ``quotes_sent`` + ``malformed_sent`` +
    ``oversized_sent`` + ``invalid_sent`` + ``late_sent`` + ``injected_sent``. A replay (``--replay``) counts only
    ``frames_sent``.
    """

    connections: int = 0
    subscriptions: int = 0
    rejected: int = 0
    frames_sent: int = 0
    control_frames_sent: int = 0
    trades_sent: int = 0
    quotes_sent: int = 0
    malformed_sent: int = 0
    oversized_sent: int = 0
    invalid_sent: int = 0
    late_sent: int = 0
    injected_sent: int = 0
    drops: int = 0
    # The latest REQUESTS_KEPT only (a simulator serving reconnects for days must not grow); the totals count all.
    subscribe_requests: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=REQUESTS_KEPT))
    subscribe_requests_total: int = 0
    request_targets: deque[str] = field(default_factory=lambda: deque(maxlen=REQUESTS_KEPT))
    request_targets_total: int = 0

    def record_subscribe_request(self, request: dict[str, Any]) -> None:
        """Keep a subscribe request among the latest :data:`REQUESTS_KEPT` and count it."""
        self.subscribe_requests.append(request)
        self.subscribe_requests_total += 1

    def record_request_target(self, target: str) -> None:
        """Keep an HTTP request target among the latest :data:`REQUESTS_KEPT` and count it."""
        self.request_targets.append(target)
        self.request_targets_total += 1

    @property
    def data_frames_sent(self) -> int:
        """Frames that carry an update (``messageType`` "A"), whatever became of them."""
        return (self.trades_sent + self.quotes_sent + self.malformed_sent + self.oversized_sent + self.invalid_sent
                + self.late_sent + self.injected_sent)

    def sent(self) -> dict[str, int]:
        """The frame counts, as ``simulator_stopped`` logs them."""
        return {"frames_sent": self.frames_sent, "control_frames_sent": self.control_frames_sent,
                "data_frames_sent": self.data_frames_sent, "trades_sent": self.trades_sent,
                "quotes_sent": self.quotes_sent, "malformed_sent": self.malformed_sent,
                "oversized_sent": self.oversized_sent, "invalid_sent": self.invalid_sent,
                "late_sent": self.late_sent, "injected_sent": self.injected_sent}


class Simulator:
    """The simulator, startable in-process: ``async with Simulator(config) as sim: sim.url``."""

    def __init__(self, config: SimulatorConfig | None = None, market: Market | None = None) -> None:
        self.config = config or SimulatorConfig()
        self.market = market or Market(seed=self.config.seed, ticker_count=self.config.tickers)
        self.stats = SimulatorStats()
        self.rest = RestApi(self.market, self.config.api_key, self.config.faults)
        self.recorder = Recorder(self.config.record) if self.config.record else None
        self.sent_log = SentLog(self.config.sent_log) if self.config.sent_log else None
        self._injected = iter(enumerate(self.config.inject))
        self.replay_frames: list[RecordedFrame] | None = None
        if self.config.replay:
            self.replay_frames = [e for e in read_recording(self.config.replay) if isinstance(e, RecordedFrame)]
        self._server: asyncio.Server | None = None
        self._connections: set[_Connection] = set()
        self._subscription_ids = itertools.count(_FIRST_SUBSCRIPTION_ID)
        self._recording_taken = False
        self.port = self.config.port

    @property
    def url(self) -> str:
        """The websocket URL clients connect to."""
        return f"ws://{self.config.host}:{self.port}/crypto"

    @property
    def rest_url(self) -> str:
        """The REST base URL."""
        return f"http://{self.config.host}:{self.port}"

    async def start(self) -> None:
        """Listen on the configured host and port (port 0 picks a free one)."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Connection(self), self.config.host, self.config.port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("simulator_started", url=self.url, rest_url=self.rest_url, rate=self.config.rate,
                 tickers=len(self.market.tickers), seed=self.config.seed)

    async def stop(self) -> None:
        """Stop sending, close every connection politely, stop listening; log what was sent.

        Each websocket gets a close frame (1001) after its last data frame and its socket is closed
        only once everything written is flushed, so a client reading to the end receives every
        frame counted in :attr:`stats`. A client still not done after ``STOP_FLUSH_TIMEOUT_S`` is
        cut off (``simulator_unflushed``).
        """
        if self._server is not None:
            self._server.close()
        connections = list(self._connections)
        streams = [c.task for c in connections if c.task is not None]
        for connection in connections:
            connection.finish()
        await asyncio.gather(*streams, return_exceptions=True)
        if connections:
            await asyncio.wait([c.lost for c in connections], timeout=STOP_FLUSH_TIMEOUT_S)
        for connection in connections:
            if not connection.lost.done():
                log.warning("simulator_unflushed", connection=connection.number,
                            unsent_bytes=connection.unsent_bytes(), timeout_s=STOP_FLUSH_TIMEOUT_S)
                connection.abort()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
        if self.recorder is not None:
            self.recorder.close()
        if self.sent_log is not None:
            self.sent_log.close()
        log.info("simulator_stopped", **self.stats.sent(), connections=self.stats.connections,
                 drops=self.stats.drops)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    def unsent_bytes(self) -> int:
        """Bytes written to clients that the simulator still holds (their sockets' buffers are full)."""
        return sum(connection.unsent_bytes() for connection in self._connections)

    def next_subscription_id(self) -> int:
        return next(self._subscription_ids)

    def next_injected(self) -> tuple[int, str] | None:
        """The next frame to inject and its index in ``config.inject``; None once all were taken."""
        return next(self._injected, None)

    def take_recorder(self) -> Recorder | None:
        """The recorder, for the first subscribed connection only (one session per file)."""
        if self.recorder is None or self._recording_taken:
            return None
        self._recording_taken = True
        return self.recorder


class _Connection(asyncio.Protocol):
    """One client connection: HTTP requests until a websocket upgrade, then the feed."""

    def __init__(self, simulator: Simulator) -> None:
        self.sim = simulator
        self.transport: asyncio.Transport | None = None
        self.head = bytearray()
        self.reader: ClientFrameReader | None = None
        self.task: asyncio.Task[None] | None = None
        self.number = 0
        self.frames_written = 0  # text frames written: the next one's position, as the client counts it
        self.closed = False
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.can_write = asyncio.Event()
        self.can_write.set()

    # -- asyncio protocol -------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.set_write_buffer_limits(high=_HIGH_WATER)
        self.sim._connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.lost.done():
            self.lost.set_result(None)
        self.can_write.set()
        self.sim._connections.discard(self)
        if self.task is not None:
            self.task.cancel()

    def pause_writing(self) -> None:
        self.can_write.clear()

    def resume_writing(self) -> None:
        self.can_write.set()

    def data_received(self, data: bytes) -> None:
        if self.reader is not None:
            try:
                messages = self.reader.feed(data)
            except ValueError:
                self.abort()
                return
            for opcode, payload in messages:
                self._on_message(opcode, payload)
            return
        self.head += data
        while not self.closed and self.reader is None:
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                if len(self.head) > MAX_HEAD:
                    self.abort()
                return
            raw, rest = bytes(self.head[:end]), bytes(self.head[end + 4:])
            self.head = bytearray()
            try:
                request = parse_request(raw)
            except ValueError:
                self.write(http_response(400, b'{"detail":"Bad request."}'))
                self.abort()
                return
            self.sim.stats.record_request_target(request.path + ("?" + "&".join(
                f"{k}={v}" for k, v in request.query.items()) if request.query else ""))
            self._on_request(request)
            if rest:
                self.data_received(rest)

    # -- HTTP ----------------------------------------------------------------------------------------
    def _on_request(self, request: Request) -> None:
        if not request.wants_websocket:
            self.write(self.sim.rest.handle(request))
            return
        key = request.headers.get("sec-websocket-key")
        if request.path != "/crypto" or not key:
            self.write(http_response(404 if key else 400, b'{"detail":"Websocket endpoint is /crypto."}'))
            self.abort()
            return
        self.sim.stats.connections += 1
        self.number = self.sim.stats.connections
        self.reader = ClientFrameReader()
        self.write(upgrade_response(key))

    # -- websocket -----------------------------------------------------------------------------------
    def _on_message(self, opcode: int, payload: bytes) -> None:
        if opcode == OP_CLOSE:
            self.write(frame(payload[:2] or b"\x03\xe8", OP_CLOSE))
            self.abort()
        elif opcode == OP_PING:
            self.write(frame(payload, OP_PONG))
        elif opcode == OP_TEXT:
            self._on_subscribe(payload)

    def _refuse(self, code: int, message: str) -> None:
        stats = self.sim.stats
        stats.rejected += 1
        if self.write(frame(error_frame(code, message)) + frame(b"\x03\xf0", OP_CLOSE)):  # 1008 policy
            stats.frames_sent += 1
            stats.control_frames_sent += 1
            if self.sim.sent_log is not None:
                self.sim.sent_log.frames(self.number, self.frames_written, ["E"], [""], {0: {"code": code}})
            self.frames_written += 1
        self.close_soon()

    def _on_subscribe(self, payload: bytes) -> None:
        sim = self.sim
        try:
            request = orjson.loads(payload)
            assert isinstance(request, dict)
        except (orjson.JSONDecodeError, AssertionError):
            self._refuse(400, "Expected a JSON object with eventName, authorization and eventData.")
            return
        event_data = request.get("eventData") if isinstance(request.get("eventData"), dict) else {}
        authorization = request.get("authorization")
        sim.stats.record_subscribe_request({
            "eventName": request.get("eventName"), "eventData": event_data,
            "authorized": sim.config.api_key is None or authorization == sim.config.api_key})
        if request.get("eventName") != "subscribe":
            self._refuse(400, f"Unknown eventName {request.get('eventName')!r}.")
            return
        if sim.config.api_key is not None and authorization != sim.config.api_key:
            self._refuse(401, "Invalid API key or the key is not entitled to this service.")
            return
        threshold = event_data.get("thresholdLevel", 5)
        if str(threshold) not in ("2", "5"):
            self._refuse(400, f"thresholdLevel must be 2 or 5, got {threshold!r}.")
            return
        tickers = event_data.get("tickers")
        if tickers is not None and not (isinstance(tickers, list) and all(isinstance(t, str) for t in tickers)):
            self._refuse(400, "tickers must be a list of strings.")
            return
        if sim.stats.subscriptions < sim.config.faults.reject_first:
            sim.stats.subscriptions += 1
            self._refuse(sim.config.faults.reject_code, "Simulated refusal.")
            return
        if self.task is not None:
            return  # already streaming; a second subscribe changes nothing here
        sim.stats.subscriptions += 1
        subscription_id = sim.next_subscription_id()
        names = [t.lower() for t in tickers] if tickers else None
        self.task = asyncio.get_running_loop().create_task(
            _Stream(self, subscription_id, int(threshold), names).run())

    # -- writing -----------------------------------------------------------------------------------
    def write(self, data: bytes) -> bool:
        """Queue bytes to send; False when the connection is closed or closing (nothing queued)."""
        if self.transport is None or self.closed or self.transport.is_closing():
            return False
        self.transport.write(data)
        return True

    def close_soon(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.close()  # flushes what was written first

    def finish(self) -> None:
        """Stop the stream; a websocket gets a close frame (1001) after its last frame; close politely."""
        if self.task is not None:
            self.task.cancel()
        if self.reader is not None:
            self.write(_GOING_AWAY)
        self.close_soon()

    def unsent_bytes(self) -> int:
        """Bytes written but not yet handed to the socket."""
        return self.transport.get_write_buffer_size() if self.transport is not None and not self.closed else 0

    def abort(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.abort()
        self.closed = True


class _Stream:
    """Sends I, then data frames at the configured rate with heartbeats and faults, until closed."""

    def __init__(self, connection: _Connection, subscription_id: int, threshold: int, tickers: list[str] | None):
        self.conn = connection
        self.sim = connection.sim
        self.config = connection.sim.config
        self.faults = self.config.faults
        self.subscription_id = subscription_id
        self.threshold = threshold
        self.tickers = tickers
        self.connection_faults = self.faults.applies_to(connection.number)
        self.recorder = self.sim.take_recorder()
        self.sent = 0  # data frames sent (counts for fault positions)

    def emit(self, texts: list[str], counts: dict[str, int] | None = None, kinds: list[str] | None = None,
             details: dict[int, dict[str, Any]] | None = None) -> None:
        """Write text payloads as frames in one write (and record them); add ``counts`` to the stats once written.

        Without ``counts`` the frames are control frames (I, H), or replayed ones when replaying.
        ``kinds`` (one per text) and ``details`` (extra fields by index) go to the sent log.
        """
        if not texts or not self.conn.write(text_frames(texts)):
            return
        if self.sim.sent_log is not None:
            self.sim.sent_log.frames(self.conn.number, self.conn.frames_written, kinds or ["?"] * len(texts), texts,
                                     details)
        self.conn.frames_written += len(texts)
        stats = self.sim.stats
        stats.frames_sent += len(texts)
        if counts is None:
            if self.sim.replay_frames is None:
                stats.control_frames_sent += len(texts)
        else:
            for name, count in counts.items():
                setattr(stats, name, getattr(stats, name) + count)
        if self.recorder is not None:
            stamp = time.time_ns() // 1000
            for text in texts:
                self.recorder.frame(stamp, text.encode())
            self.recorder.flush()

    async def run(self) -> None:
        started_us = time.time_ns() // 1000
        if self.recorder is not None:
            self.recorder.start_session(f"{started_us}-sim{self.subscription_id}", started_us,
                                        subscription_id=self.subscription_id, threshold_level=self.threshold,
                                        tickers=self.tickers or ["*"])
        try:
            if self.sim.replay_frames is not None:
                await self._replay(self.sim.replay_frames)
            else:
                self.emit([info_frame(self.subscription_id).decode()], kinds=["I"],
                          details={0: {"subscription_id": self.subscription_id}})
                await self._generate(self.sim.market.view(self.tickers, self.config.seed + self.conn.number))
        except asyncio.CancelledError:
            pass
        finally:
            if self.recorder is not None:
                self.recorder.flush()

    async def _generate(self, view: MarketView) -> None:
        config, faults, conn = self.config, self.faults, self.conn
        loop = asyncio.get_running_loop()
        start = loop.time()
        next_heartbeat = start + config.heartbeat_interval_s
        next_burst = start + faults.burst_every_s if faults.burst_every_s else float("inf")
        drop_at = start + faults.drop_every_s if faults.drop_every_s and self.connection_faults else float("inf")
        bonus = 0
        limit = config.max_frames
        while not conn.closed:
            now = loop.time()
            if now >= drop_at:
                self._drop()
                return
            if now >= next_heartbeat:
                self.emit([HEARTBEAT_FRAME.decode()], kinds=["H"])
                next_heartbeat = now + config.heartbeat_interval_s
            if now >= next_burst:
                bonus += faults.burst_size
                next_burst = now + (faults.burst_every_s or 0)
            due = CHUNK if config.rate <= 0 else int((now - start) * config.rate) + bonus - self.sent
            if limit is not None:
                due = min(due, limit - self.sent)
                if due <= 0:
                    await asyncio.sleep(config.heartbeat_interval_s)  # bounded run: only heartbeats now
                    continue
            due = min(due, CHUNK)
            if due > 0 and not view.empty:
                stop = self._cut(due)
                texts, counts, kinds, details = self._payloads(view, stop if stop is not None else due)
                self.emit(texts, counts, kinds, details)
                self.sent += len(texts)
                if stop is not None and await self._connection_fault():
                    return
            if config.rate <= 0:
                await conn.can_write.wait()
                await asyncio.sleep(0)
            else:
                wait = (self.sent - bonus + 1) / config.rate - (loop.time() - start)
                await asyncio.sleep(min(max(wait, 0.002), 0.05, max(next_heartbeat - loop.time(), 0.0)))

    def _cut(self, due: int) -> int | None:
        """How many frames to send before a drop/close/silence fault fires in this chunk, or None."""
        if not self.connection_faults:
            return None
        marks = [m for m in (self.faults.drop_after, self.faults.close_after, self.faults.silence_after)
                 if m is not None and self.sent < m <= self.sent + due]
        return min(marks) - self.sent if marks else None

    def _payloads(self, view: MarketView, count: int
                  ) -> tuple[list[str], dict[str, int], list[str], dict[int, dict[str, Any]]]:
        """The next ``count`` data frames, how many of each class they hold (stats field: count), and
        for the sent log each frame's kind and the details of the faulty ones (by index)."""
        now_us = time.time_ns() // 1000
        quotes = 0
        if self.threshold == 2 and self.config.quote_share > 0:
            quotes = sum(1 for _ in range(count) if view.rng.random() < self.config.quote_share)
            texts = view.trade_texts(count - quotes, now_us) + view.quote_texts(quotes, now_us)
            view.rng.shuffle(texts)
        else:
            texts = view.trade_texts(count, now_us)
        counts = {"trades_sent": count - quotes, "quotes_sent": quotes}
        logged = self.sim.sent_log is not None
        kinds = ["Q" if quotes and _QUOTE_MARK in text else "T" for text in texts] if logged else []
        details: dict[int, dict[str, Any]] = {}
        faults, first = self.faults, self.sent + 1
        if faults.has_data_faults:
            for position, (fault, kind) in faults.data_faults(first, count).items():
                index = position - first
                if fault == "injected":
                    taken = self.sim.next_injected()
                    if taken is None:
                        continue  # every injected frame was sent: the position keeps its trade
                    details[index] = {"index": taken[0]}
                    # Frames are built as latin-1 text (see wire.text_frames): carry the UTF-8 bytes as such.
                    payload = taken[1].encode("utf-8").decode("latin-1")
                else:
                    payload = faults.payload(fault, kind, now_us)
                    details[index] = ({"bytes": len(payload)} if fault == "oversized" else
                                      {} if fault in ("extra_items", "late") else {"fault": kind})
                replaced = "quotes_sent" if quotes and _QUOTE_MARK in texts[index] else "trades_sent"
                counts[replaced] -= 1
                texts[index] = payload
                name = _FAULT_STAT[fault]
                counts[name] = counts.get(name, 0) + 1
                if logged:
                    kinds[index] = fault
        return texts, counts, kinds, details

    async def _connection_fault(self) -> bool:
        """Apply the drop/close/silence fault that is due now; True when the stream is over."""
        faults = self.faults
        if faults.drop_after == self.sent:
            self._drop()
            return True
        if faults.close_after == self.sent:
            self.conn.write(frame(b"\x03\xf4service restarting", OP_CLOSE))  # 1012
            self.conn.close_soon()
            self.sim.stats.drops += 1
            if self.sim.sent_log is not None:
                self.sim.sent_log.event(self.conn.number, "close", frames=self.conn.frames_written)
            return True
        if faults.silence_after == self.sent:
            log.info("simulator_silent", connection=self.conn.number, seconds=faults.silence_s)
            if faults.silence_s == float("inf"):
                await asyncio.Event().wait()  # until the client gives up and the task is cancelled
            await asyncio.sleep(faults.silence_s)
        return False

    def _drop(self) -> None:
        self.sim.stats.drops += 1
        log.info("simulator_drop", connection=self.conn.number, frames=self.sent)
        if self.sim.sent_log is not None:
            self.sim.sent_log.event(self.conn.number, "drop", frames=self.conn.frames_written)
        self.conn.abort()

    async def _replay(self, frames: list[RecordedFrame]) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        speed = self.config.speed
        first_us = frames[0].received_us if frames else 0
        index = 0
        while index < len(frames) and not self.conn.closed:
            elapsed_us = (loop.time() - start) * 1_000_000 * speed if speed > 0 else float("inf")
            batch = []
            while index < len(frames) and frames[index].received_us - first_us <= elapsed_us and len(batch) < CHUNK:
                batch.append(frames[index].raw.decode())
                index += 1
            self.emit(batch, kinds=["replayed"] * len(batch))
            self.sent += len(batch)
            await self.conn.can_write.wait()
            if index < len(frames) and speed > 0:
                due = start + (frames[index].received_us - first_us) / 1_000_000 / speed
                await asyncio.sleep(max(0.0, min(due - loop.time(), 0.05)))
            else:
                await asyncio.sleep(0)
        log.info("simulator_replay_done", frames=self.sent, connection=self.conn.number)
