"""The ingestor's producer: trades to the trades topic, dead letters to the dead-letter topic,
feed gaps to the feed gaps topic.

Every send is counted when it is handed to librdkafka and again when the broker acknowledges
it (or it fails), so "flushed" means something that can be checked: ``stats.pending == 0``.
A record is first made an :data:`OutboundMessage` (topic kind, key, value, timestamp, headers):
the ingestor's spool stores exactly these, so a re-send is byte for byte the first send.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import structlog
from confluent_kafka import KafkaError, Message, Producer

from coinstream.core.config.models import KafkaSettings
from coinstream.core.kafka.avro import FeedGapAvroCodec, TradeAvroCodec
from coinstream.core.kafka.client_config import producer_config
from coinstream.core.kafka.outage import KafkaOutage
from coinstream.core.records import DeadLetter, FeedGap, Trade

log = structlog.get_logger(__name__)

_LATENCY_SAMPLES = 100_000
_QUEUE_FULL_WAIT_S = 0.05
_ERROR_LOG_EVERY_S = 60.0

TRADE = 0
DEAD_LETTER = 1
FEED_GAP = 2
KIND_NAMES = ("trade", "dead_letter", "feed_gap")
Headers = list[tuple[str, bytes]]
OutboundMessage = tuple[int, bytes, bytes, int, Headers | None]
"""A record as Kafka gets it: (kind, key, value, timestamp in ms, headers). ``kind`` picks the topic:
TRADE the trades topic, DEAD_LETTER the dead-letter topic, FEED_GAP the feed gaps topic."""
DeliveryCallback = Callable[[KafkaError | None, Message], None]

TRUNCATED_VALUE_BYTES = 65_536
"""What is kept of a message Kafka refused as too large, in the dead letter that replaces it."""
TRUNCATED_KEY_BYTES = 1_024
SIZE_ERRORS = frozenset({KafkaError.MSG_SIZE_TOO_LARGE})  # librdkafka uses the broker's code for its own check too


class ProducerFatalError(Exception):
    """librdkafka reported a fatal error (e.g. the idempotent producer lost its guarantees)."""


@dataclass
class DeliveryStats:
    """Counters of what was sent and acknowledged, and recent ack latencies (ms, ingest -> ack)."""

    trades_sent: int = 0
    trades_acked: int = 0
    dead_letters_sent: int = 0
    dead_letters_acked: int = 0
    feed_gaps_sent: int = 0
    feed_gaps_acked: int = 0
    failed: int = 0
    skipped: int = 0
    truncated: int = 0  # refused as too large, replaced by a truncated dead letter (sent and counted anew)
    retried: int = 0  # failed deliveries sent again (spool on); a retried record is still pending
    last_error: str | None = None
    ack_latencies_ms: deque[float] = field(default_factory=lambda: deque(maxlen=_LATENCY_SAMPLES))

    @property
    def pending(self) -> int:
        """Records handed to the producer and not yet acknowledged, failed or replaced."""
        return ((self.trades_sent + self.dead_letters_sent + self.feed_gaps_sent)
                - (self.trades_acked + self.dead_letters_acked + self.feed_gaps_acked + self.failed + self.truncated))

    def count_sent(self, kind: int, count: int = 1) -> None:
        """Count records of one kind handed to the producer."""
        if kind == TRADE:
            self.trades_sent += count
        elif kind == DEAD_LETTER:
            self.dead_letters_sent += count
        else:
            self.feed_gaps_sent += count


def truncated_dead_letter(message: OutboundMessage, error: str) -> OutboundMessage:
    """Return the dead letter that replaces a message Kafka refused as too large: the value cut to
    :data:`TRUNCATED_VALUE_BYTES` (the key to 1 KiB), the reason, the original size and kind in headers."""
    kind, key, value, timestamp_ms, headers = message
    # A broker that refuses even that much gets half of it at each try, down to an empty value.
    cut = TRUNCATED_VALUE_BYTES if len(value) > TRUNCATED_VALUE_BYTES else len(value) // 2
    reason = (f"{KIND_NAMES[kind]} of {len(value):,} bytes refused by Kafka ({error}); the value is cut to its "
              f"first {cut:,} bytes")
    kept: Headers = []
    for name, header in headers or ():
        if name == "coinstream.reason":
            reason += f"; original reason: {header.decode(errors='replace')}"
        else:
            kept.append((name, header))
    return (DEAD_LETTER, key[:TRUNCATED_KEY_BYTES], value[:cut], timestamp_ms, [
        ("coinstream.reason", reason.encode()), ("coinstream.original_size", str(len(value)).encode()),
        ("coinstream.original_kind", KIND_NAMES[kind].encode()), *kept])


class TradeProducer:
    """Sends Trades (Avro, keyed by ticker), DeadLetters (raw, with reason headers) and FeedGaps
    (Avro, keyed by source).

    ``spooled=True`` is for a caller that keeps every record until it is acknowledged (the
    ingestor's spool): librdkafka then never times a message out (see ``producer_config``).
    ``gap_codec`` encodes FeedGaps; without one, the first gap registers the FeedGap schema under
    ``<feed_gaps_topic>-value`` with the trade codec's registry (the ingestor registers it at start).
    """

    def __init__(self, settings: KafkaSettings, codec: TradeAvroCodec, producer: Producer | None = None, *,
                 spooled: bool = False, gap_codec: FeedGapAvroCodec | None = None) -> None:
        self._settings = settings
        self._topics = (settings.trades_topic, settings.dead_letter_topic, settings.feed_gaps_topic)
        self._codec = codec
        self._gap_codec = gap_codec
        self.stats = DeliveryStats()
        self.outage = KafkaOutage()
        # How many records wait for Kafka, for the outage lines; a caller that keeps records
        # elsewhere too (the spool) replaces it.
        self.waiting: Callable[[], int] = lambda: self.stats.pending
        self._fatal: str | None = None
        self._error_logged: dict[int, float] = {}
        config = producer_config(settings, spooled=spooled)
        config["error_cb"] = self._on_error
        self._producer = producer or Producer(config)

    # -- callbacks (run inside poll/flush, on this thread) ---------------------------------
    def _on_error(self, error: KafkaError) -> None:
        if error.fatal():
            self._fatal = str(error)
            log.error("producer_fatal_error", error=str(error))
        elif error.code() == KafkaError._ALL_BROKERS_DOWN:
            self.outage.failed(str(error), self.waiting())
        else:
            # A broker restart reports a connection error per broker and retry: one line a minute per
            # kind of error, and none while an outage is already logged.
            now = time.monotonic()
            if not self.outage.active and now - self._error_logged.get(error.code(), -_ERROR_LOG_EVERY_S) \
                    >= _ERROR_LOG_EVERY_S:
                self._error_logged[error.code()] = now
                log.warning("producer_error", error=str(error))

    def _on_trade_delivery(self, error: KafkaError | None, message: Message) -> None:
        if error is not None:
            self._record_failure(error)
            return
        self.stats.trades_acked += 1
        _kind, sent_ms = message.timestamp()
        self.stats.ack_latencies_ms.append(time.time() * 1000.0 - sent_ms)
        if self.outage.active:
            self.outage.acknowledged(self.waiting())

    def _on_dead_letter_delivery(self, error: KafkaError | None, message: Message) -> None:
        if error is not None:
            self._record_failure(error)
            return
        self.stats.dead_letters_acked += 1

    def _on_feed_gap_delivery(self, error: KafkaError | None, message: Message) -> None:
        if error is not None:
            self._record_failure(error)
            return
        self.stats.feed_gaps_acked += 1

    def _record_failure(self, error: KafkaError) -> None:
        self.stats.failed += 1
        self.stats.last_error = str(error)
        if error.code() in SIZE_ERRORS:
            log.error("message_too_large", error=str(error), hint=(
                "the broker's message.max.bytes is lower than the producer's; with the spool on "
                "([ingest] spool_enabled) it is sent as a truncated dead letter"))
        else:
            self.outage.failed(str(error), self.waiting())

    # -- sending ---------------------------------------------------------------------------
    def outbound(self, record: object) -> OutboundMessage | None:
        """Return the message a record becomes, or None for a record type that has no topic here.

        A trade's Kafka timestamp is its ingest time, so ack latency is ingest -> ack; a dead
        letter carries the raw input as value and the reason and the source in headers; a feed gap's
        timestamp is when it was recorded.
        """
        if type(record) is Trade:
            return TRADE, record.ticker.encode(), self._codec.encode(record), record.ingest_time // 1000, None
        if type(record) is DeadLetter:
            timestamp_ms = record.received_time // 1000 if record.received_time else int(time.time() * 1000)
            return DEAD_LETTER, record.source.encode(), record.raw, timestamp_ms, record.headers()
        if type(record) is FeedGap:
            return FEED_GAP, record.source.encode(), self.gap_codec.encode(record), record.recorded_time // 1000, None
        if not self.stats.skipped:
            log.warning("record_type_not_routed", record_type=type(record).__name__,
                        hint="only Trade, DeadLetter and FeedGap records have a topic; these are counted and skipped")
        self.stats.skipped += 1
        return None

    def produce(self, message: OutboundMessage, on_delivery: DeliveryCallback) -> None:
        """Hand one message to librdkafka without waiting. Raises BufferError when its queue is full
        and KafkaException when it refuses the message (MSG_SIZE_TOO_LARGE, for one)."""
        if self._fatal is not None:
            raise ProducerFatalError(f"the Kafka producer hit a fatal error and cannot continue: {self._fatal}")
        kind, key, value, timestamp_ms, headers = message
        self._producer.produce(self._topics[kind], value=value, key=key, timestamp=timestamp_ms, headers=headers,
                               on_delivery=on_delivery)

    @property
    def gap_codec(self) -> FeedGapAvroCodec:
        """The FeedGap codec (registered on first use when none was given)."""
        if self._gap_codec is None:
            self._gap_codec = FeedGapAvroCodec.for_kafka(self._settings, registry=self._codec.registry)
        return self._gap_codec

    def delivery_callback(self, kind: int) -> DeliveryCallback:
        """Return the callback that counts acknowledgements and failures of this kind of record."""
        return (self._on_trade_delivery, self._on_dead_letter_delivery, self._on_feed_gap_delivery)[kind]

    def _send_waiting(self, message: OutboundMessage) -> None:
        while True:
            try:
                self.produce(message, self.delivery_callback(message[0]))
                break
            except BufferError:
                # The local queue is full: serve delivery reports until there is room.
                self._producer.poll(_QUEUE_FULL_WAIT_S)
        self.stats.count_sent(message[0])

    def send_trade(self, trade: Trade) -> None:
        """Queue one trade, waiting while librdkafka's queue is full."""
        message = self.outbound(trade)
        assert message is not None
        self._send_waiting(message)

    def send_dead_letter(self, dead_letter: DeadLetter) -> None:
        """Queue one dead letter, waiting while librdkafka's queue is full."""
        message = self.outbound(dead_letter)
        assert message is not None
        self._send_waiting(message)

    def send(self, records: Iterable[object]) -> None:
        """Queue a batch of records, each to its topic, then serve pending delivery reports.

        Waits (serving delivery reports) while librdkafka's queue is full: for scripts and tests.
        The ingestor uses :meth:`produce` and keeps what does not fit, so its event loop never blocks.
        Any other record type than Trade, DeadLetter and FeedGap is counted in ``stats.skipped``.
        """
        for record in records:
            message = self.outbound(record)
            if message is not None:
                self._send_waiting(message)
        self._producer.poll(0)

    def poll(self, timeout_s: float = 0.0) -> int:
        """Serve delivery reports; return how many were served."""
        return int(self._producer.poll(timeout_s))

    def flush(self, timeout_s: float = 60.0) -> int:
        """Wait until every queued record is acknowledged (or failed); return how many are still pending."""
        remaining = int(self._producer.flush(timeout_s))
        if remaining:
            log.error("flush_incomplete", pending=remaining, timeout_s=timeout_s)
        return remaining

    def purge(self) -> None:
        """Drop what librdkafka still holds (its delivery callbacks report _PURGE_*): for a caller
        that keeps those records elsewhere, at shutdown."""
        self._producer.purge(in_queue=True, in_flight=True, blocking=False)
        self._producer.poll(0)
