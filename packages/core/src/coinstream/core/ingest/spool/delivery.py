"""Source batches -> spool -> Kafka, without ever blocking the event loop.

Each batch is made into outbound messages, appended to the spool (fsynced first with
``spool_sync = "batch"``) and handed to librdkafka. What librdkafka cannot take now (its queue is
full: Kafka is slow or down) is already on disk: a cursor remembers the first such record and a
task hands the rest over from the files, in order, as room comes back; the source batches that
arrive meanwhile only go to disk behind it. The records an earlier run left in the spool start
behind that cursor too, so they are re-sent first. A failed delivery keeps its record in the
spool and is produced again after a pause; a message Kafka refuses as too large is replaced by a
truncated dead letter (a record Kafka will never take would otherwise hold its segment, and then
the whole spool, for ever). A record leaves the spool only on its acknowledgement.

After each batch is appended, the spool's read mark takes the batch's last record (for the gap of
the ingestor's absence at the next start). While the spool is full the source is not read; that
episode becomes a ``spool full`` FeedGap, spooled with the batch in hand.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Sequence

import structlog
from confluent_kafka import KafkaError, KafkaException, Message

from coinstream.core.config.models import IngestSettings
from coinstream.core.ingest.gaps import LastRead, now_us, spool_full_gap
from coinstream.core.ingest.spool.format import frame, frame_size
from coinstream.core.ingest.spool.segments import Segment, Spool
from coinstream.core.kafka.producer import (
    DEAD_LETTER,
    FEED_GAP,
    KIND_NAMES,
    SIZE_ERRORS,
    TRADE,
    DeliveryCallback,
    OutboundMessage,
    TradeProducer,
    truncated_dead_letter,
)
from coinstream.core.records import FeedGap

log = structlog.get_logger(__name__)

QUEUE_FULL_WAIT_S = 0.05
RETRY_AFTER_S = 1.0
READ_RECORDS = 5_000
_PURGED = frozenset({KafkaError._PURGE_QUEUE, KafkaError._PURGE_INFLIGHT})


class SpooledDelivery:
    """Takes the source's batches into the spool and the spool into Kafka (see the module docstring)."""

    def __init__(self, producer: TradeProducer, spool: Spool, settings: IngestSettings,
                 source_name: str = "") -> None:
        self.producer = producer
        self.source_name = source_name  # names a spool-full gap when no record said its source
        self.spool = spool
        self._sync_each_batch = settings.spool_sync == "batch"
        self._sync_interval_s = settings.spool_sync_interval_ms / 1000
        self.resent_on_start = 0
        self.full_episodes = 0
        self._full_since: float | None = None
        self._full_s = 0.0
        self._stopping = False
        # The first record on disk that librdkafka has not taken yet; None when it has them all.
        self._cursor: Segment | None = None
        self._cursor_offset = 0
        self._retries: deque[tuple[float, Segment, OutboundMessage]] = deque()
        self._refused: deque[tuple[Segment, OutboundMessage, str]] = deque()
        self._appending = asyncio.Lock()  # an append and the choice of who produces it go together
        self._wake = asyncio.Event()
        self._room = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._task_error: BaseException | None = None

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Start the tasks: the backlog sender (re-sending the spool's records first) and the fsync timer."""
        self.spool.on_release = self._room.set
        self.producer.waiting = lambda: self.spool.records
        first = self.spool.first()
        if first is not None and first.records:
            self._cursor, self._cursor_offset = first, 0
            log.info("spool_resending", records=self.spool.recovered_records, spool_bytes=self.spool.bytes)
        self._tasks.append(asyncio.create_task(self._send_backlog()))
        if not self._sync_each_batch:
            self._tasks.append(asyncio.create_task(self._sync_periodically()))
        for task in self._tasks:
            task.add_done_callback(self._on_task_done)

    def _on_task_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self._task_error = task.exception()  # raised by the next accept(): the run ends with it
            self._room.set()

    def stop_waiting(self) -> None:
        """The run is stopping: take what the source still yields even past the size bound, since
        the alternative is to drop it (the overshoot is what the source still holds)."""
        self._stopping = True
        self._room.set()

    async def finish(self, deadline: float) -> int:
        """Send and wait for acknowledgements until ``deadline`` (monotonic), then keep what is left
        in the spool for the next start; return how many records that is."""
        while self.spool.records and time.monotonic() < deadline:
            self._wake.set()
            self.producer.poll(0)
            await asyncio.sleep(0.02)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        left = self.spool.records
        if left:
            self.producer.purge()  # their delivery reports say _PURGE_*: the records stay in the spool
            log.warning("spool_kept", records=left, spool_bytes=self.spool.bytes, directory=str(self.spool.directory),
                        hint="not acknowledged before the stop; the next start re-sends them")
        if self._full_since is not None:
            self._end_full_episode()
        self.spool.close()
        return left

    def figures(self) -> dict[str, int | float]:
        """The spool's figures for metrics and the report."""
        full_s = self._full_s + (time.monotonic() - self._full_since if self._full_since is not None else 0.0)
        return {"spool_bytes": self.spool.bytes, "spool_records": self.spool.records,
                "resent_on_start": self.resent_on_start, "spool_full_episodes": self.full_episodes,
                "spool_full_s": round(full_s, 1), "spool_written_bytes": self.spool.written_bytes,
                "spool_written_records": self.spool.written_records}

    @property
    def waiting(self) -> int:
        """Records not yet acknowledged by Kafka."""
        return self.spool.records

    # -- taking batches ---------------------------------------------------------------------
    async def accept(self, batch: Sequence[object], read: LastRead | None = None) -> None:
        """Spool a source batch and hand it to Kafka (or leave it to the backlog task); ``read`` is
        the batch's last record, for the read mark."""
        if self._task_error is not None:
            raise self._task_error
        outbound = self.producer.outbound
        messages: list[OutboundMessage] = []
        parts: list[bytes] = []
        size = 0
        for record in batch:
            message = outbound(record)
            if message is not None:
                size += frame(message, parts)
                messages.append(message)
        if not messages:
            return
        if self.spool.full(size) and not self._stopping:
            gap = outbound(await self._wait_for_room(size, read))
            if gap is not None:  # after the batch in hand: it was read before the spool filled
                size += frame(gap, parts)
                messages.append(gap)
        await self._append_and_send(messages, b"".join(parts), read)

    async def _append_and_send(self, messages: list[OutboundMessage], data: bytes,
                               read: LastRead | None = None) -> None:
        async with self._appending:
            segment, start = self.spool.append(data, len(messages))
            if read is not None:
                # Right after the append, before the fsync: a SIGKILL during the fsync leaves the
                # batch in the page cache (re-sent at the next start) and the mark naming it.
                self.spool.mark.update(read)
            if self._sync_each_batch:
                # Shielded: a batch on disk is handed over even when the pump is cancelled during the
                # fsync (a stop whose source takes too long); else it would wait for the next start.
                await asyncio.shield(self._sync_and_hand_over(segment, start, messages))
            else:
                self._hand_over(segment, start, messages)

    async def _sync_and_hand_over(self, segment: Segment, start: int, messages: list[OutboundMessage]) -> None:
        await asyncio.to_thread(self.spool.sync)
        self._hand_over(segment, start, messages)

    def _hand_over(self, segment: Segment, start: int, messages: list[OutboundMessage]) -> None:
        if self._cursor is None:
            self._send(segment, start, messages)
        else:
            self._wake.set()  # records wait on disk before these: the backlog task sends them in order

    def _send(self, segment: Segment, start: int, messages: Sequence[OutboundMessage],
              offsets: Sequence[int] | None = None) -> bool:
        """Produce messages written together at ``start`` of a segment (``offsets``: of each from
        there, when known); on a full queue, set the cursor at the first one not taken and return False."""
        callbacks = segment.callbacks or self._attach_callbacks(segment)
        produce = self.producer.produce
        taken = len(messages)
        for index, message in enumerate(messages):
            try:
                produce(message, callbacks[message[0]])
            except BufferError:
                taken = index
                skipped = offsets[index] if offsets is not None else sum(map(frame_size, messages[:index]))
                self._cursor, self._cursor_offset = segment, start + skipped
                self._wake.set()
                break
            except KafkaException as error:
                self._on_refused(segment, message, error.args[0])
        if taken:
            stats = self.producer.stats
            if any(message[0] for message in messages[:taken]):  # TRADE is 0: most batches are trades only
                kinds = [message[0] for message in messages[:taken]]
                letters, gaps = kinds.count(DEAD_LETTER), kinds.count(FEED_GAP)
                stats.dead_letters_sent += letters
                stats.feed_gaps_sent += gaps
                stats.trades_sent += taken - letters - gaps
            else:
                stats.trades_sent += taken
            segment.produced += taken
            if segment.recovered:
                self.resent_on_start += taken
        self.producer.poll(0)
        return taken == len(messages)

    async def _wait_for_room(self, size: int, read: LastRead | None) -> FeedGap:
        """Wait until ``size`` more bytes fit (or the run stops); return the episode's FeedGap."""
        last = read or self.spool.mark.last_read or LastRead(now_us(), "", self.source_name)
        self.full_episodes += 1
        self._full_since = time.monotonic()
        log.warning("spool_full", spool_bytes=self.spool.bytes, max_bytes=self.spool.max_bytes,
                    records=self.spool.records, hint="the feed is not read until Kafka acknowledges records")
        while self.spool.full(size) and not self._stopping and self._task_error is None:
            self.producer.poll(0)  # acknowledgements free room
            self.spool.make_room()
            if not self.spool.full(size):
                break
            self._room.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._room.wait(), 0.1)
        self._end_full_episode()
        return spool_full_gap(last, now_us())

    def _end_full_episode(self) -> None:
        assert self._full_since is not None
        waited = time.monotonic() - self._full_since
        self._full_s += waited
        self._full_since = None
        log.info("spool_room", waited_s=round(waited, 2), spool_bytes=self.spool.bytes, stopping=self._stopping)

    # -- delivery reports (inside poll(), on the loop's thread) -----------------------------
    def _attach_callbacks(self, segment: Segment) -> tuple[DeliveryCallback, DeliveryCallback, DeliveryCallback]:
        stats = self.producer.stats
        outage = self.producer.outage
        spool = self.spool
        latencies = stats.ack_latencies_ms

        def on_trade(error: KafkaError | None, message: Message) -> None:
            if error is not None:
                self._on_failed(segment, TRADE, error, message)
                return
            stats.trades_acked += 1
            latencies.append(time.time() * 1000.0 - message.timestamp()[1])
            spool.acknowledge(segment)
            if outage.active:
                outage.acknowledged(spool.records)

        def on_other(kind: int) -> DeliveryCallback:  # dead letters and feed gaps: no latency sample
            def on_delivery(error: KafkaError | None, message: Message) -> None:
                if error is not None:
                    self._on_failed(segment, kind, error, message)
                    return
                if kind == DEAD_LETTER:
                    stats.dead_letters_acked += 1
                else:
                    stats.feed_gaps_acked += 1
                spool.acknowledge(segment)
                if outage.active:
                    outage.acknowledged(spool.records)
            return on_delivery

        segment.callbacks = (on_trade, on_other(DEAD_LETTER), on_other(FEED_GAP))
        return segment.callbacks

    def _on_failed(self, segment: Segment, kind: int, error: KafkaError, message: Message) -> None:
        if error.code() in _PURGED:
            return  # the stop purged it: the record stays in the spool for the next start
        outbound: OutboundMessage = (kind, message.key() or b"", message.value() or b"", message.timestamp()[1],
                                     message.headers())
        self._on_refused(segment, outbound, error)

    def _on_refused(self, segment: Segment, message: OutboundMessage, error: KafkaError) -> None:
        """Kafka would not take a message: re-make it when it is too large, else try again later."""
        self.producer.stats.last_error = str(error)
        if error.code() in SIZE_ERRORS:
            self._refused.append((segment, message, str(error)))
        else:
            self._retries.append((time.monotonic() + RETRY_AFTER_S, segment, message))
            self.producer.outage.failed(str(error), self.spool.records)
        self._wake.set()

    # -- the backlog task -------------------------------------------------------------------
    async def _send_backlog(self) -> None:
        while True:
            if self._cursor is None and not self._retries and not self._refused:
                self._wake.clear()
                await self._wake.wait()
                continue
            self.producer.poll(0)
            if self._refused:
                await self._replace_refused()
            blocked = not self._send_due_retries()
            if not blocked and self._cursor is not None:
                blocked = not self._send_from_disk()
            if blocked:
                await asyncio.sleep(QUEUE_FULL_WAIT_S)
            elif self._cursor is None and not self._refused and self._retries:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), max(0.0, self._retries[0][0] - time.monotonic()))
            else:
                await asyncio.sleep(0)  # let the source and the timers run between chunks

    def _send_from_disk(self) -> bool:
        segment = self._cursor
        assert segment is not None
        result = self.spool.read(segment, self._cursor_offset, READ_RECORDS)
        if result.messages and not self._send(segment, self._cursor_offset, result.messages, result.offsets):
            return False
        self._cursor_offset += result.consumed
        if result.problem is not None and not result.cut:
            lost = segment.records - segment.produced
            log.error("spool_record_damaged", segment=segment.path.name, offset=self._cursor_offset,
                      records_skipped=lost, problem=result.problem)
            self.spool.acknowledge(segment, lost)
            self._cursor_offset = self.spool.readable_end(segment)
        if self._cursor_offset >= self.spool.readable_end(segment):
            if self.spool.is_active(segment):
                self._cursor = None  # caught up: new batches are produced as they come
            else:
                self._cursor, self._cursor_offset = self.spool.after(segment), 0
        return True

    def _send_due_retries(self) -> bool:
        now = time.monotonic()
        retries = self._retries
        while retries and retries[0][0] <= now:
            _due, segment, message = retries[0]
            callbacks = segment.callbacks or self._attach_callbacks(segment)
            try:
                self.producer.produce(message, callbacks[message[0]])
            except BufferError:
                return False
            except KafkaException as error:
                retries.popleft()
                self._on_refused(segment, message, error.args[0])
                continue
            retries.popleft()
            self.producer.stats.retried += 1
        return True

    async def _replace_refused(self) -> None:
        while self._refused:
            segment, message, error = self._refused.popleft()
            if not message[2]:
                # Refused with an empty value: its headers alone are too large for this cluster.
                log.error("message_dropped", kind=KIND_NAMES[message[0]], error=error,
                          hint="Kafka refuses even an empty value; raise the topic's max.message.bytes")
                self.producer.stats.failed += 1
                self.spool.acknowledge(segment)
                continue
            replacement = truncated_dead_letter(message, error)
            log.error("message_too_large", kind=KIND_NAMES[message[0]], bytes=len(message[2]), error=error,
                      kept_bytes=len(replacement[2]), hint="sent as a truncated dead letter instead")
            parts: list[bytes] = []
            frame(replacement, parts)
            await self._append_and_send([replacement], b"".join(parts))
            self.producer.stats.truncated += 1
            self.spool.acknowledge(segment)  # the replacement, now in the spool, stands for it

    async def _sync_periodically(self) -> None:
        while True:
            await asyncio.sleep(self._sync_interval_s)
            if self.spool.unsynced:
                await asyncio.to_thread(self.spool.sync)
