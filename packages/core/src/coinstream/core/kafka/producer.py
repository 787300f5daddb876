"""The ingestor's producer: trades to the trades topic, dead letters to the dead-letter topic.

Every send is counted when it is handed to librdkafka and again when the broker acknowledges
it (or it fails), so "flushed" means something that can be checked: ``stats.pending == 0``.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

import structlog
from confluent_kafka import KafkaError, Message, Producer

from coinstream.core.config.models import KafkaSettings
from coinstream.core.kafka.avro import TradeAvroCodec
from coinstream.core.kafka.client_config import producer_config
from coinstream.core.records import DeadLetter, Trade

log = structlog.get_logger(__name__)

_LATENCY_SAMPLES = 100_000
_QUEUE_FULL_WAIT_S = 0.05


class ProducerFatalError(Exception):
    """librdkafka reported a fatal error (e.g. the idempotent producer lost its guarantees)."""


@dataclass
class DeliveryStats:
    """Counters of what was sent and acknowledged, and recent ack latencies (ms, ingest -> ack)."""

    trades_sent: int = 0
    trades_acked: int = 0
    dead_letters_sent: int = 0
    dead_letters_acked: int = 0
    failed: int = 0
    skipped: int = 0
    last_error: str | None = None
    ack_latencies_ms: deque[float] = field(default_factory=lambda: deque(maxlen=_LATENCY_SAMPLES))

    @property
    def pending(self) -> int:
        """Records handed to the producer and not yet acknowledged or failed."""
        return (self.trades_sent + self.dead_letters_sent) - (self.trades_acked + self.dead_letters_acked + self.failed)


class TradeProducer:
    """Sends Trades (Avro, keyed by ticker) and DeadLetters (raw, with reason headers)."""

    def __init__(self, settings: KafkaSettings, codec: TradeAvroCodec, producer: Producer | None = None) -> None:
        self._trades_topic = settings.trades_topic
        self._dead_letter_topic = settings.dead_letter_topic
        self._codec = codec
        self.stats = DeliveryStats()
        self._fatal: str | None = None
        config = producer_config(settings)
        config["error_cb"] = self._on_error
        self._producer = producer or Producer(config)

    # -- callbacks (run inside poll/flush, on this thread) ---------------------------------
    def _on_error(self, error: KafkaError) -> None:
        if error.fatal():
            self._fatal = str(error)
            log.error("producer_fatal_error", error=str(error))
        else:
            log.warning("producer_error", error=str(error))

    def _on_trade_delivery(self, error: KafkaError | None, message: Message) -> None:
        if error is not None:
            self._record_failure(error, message)
            return
        self.stats.trades_acked += 1
        _kind, sent_ms = message.timestamp()
        self.stats.ack_latencies_ms.append(time.time() * 1000.0 - sent_ms)

    def _on_dead_letter_delivery(self, error: KafkaError | None, message: Message) -> None:
        if error is not None:
            self._record_failure(error, message)
            return
        self.stats.dead_letters_acked += 1

    def _record_failure(self, error: KafkaError, message: Message) -> None:
        self.stats.failed += 1
        self.stats.last_error = str(error)
        log.error("delivery_failed", topic=message.topic(), error=str(error))

    # -- sending ---------------------------------------------------------------------------
    def _produce(self, topic: str, key: bytes, value: bytes, timestamp_ms: int, callback: object,
                 headers: list[tuple[str, bytes]] | None = None) -> None:
        if self._fatal is not None:
            raise ProducerFatalError(f"the Kafka producer hit a fatal error and cannot continue: {self._fatal}")
        while True:
            try:
                self._producer.produce(topic, value=value, key=key, timestamp=timestamp_ms, headers=headers,
                                       on_delivery=callback)
                return
            except BufferError:
                # The local queue is full: serve delivery reports until there is room.
                self._producer.poll(_QUEUE_FULL_WAIT_S)

    def send_trade(self, trade: Trade) -> None:
        """Queue one trade; its Kafka timestamp is the ingest time, so ack latency is ingest -> ack."""
        self._produce(self._trades_topic, trade.ticker.encode(), self._codec.encode(trade),
                      trade.ingest_time // 1000, self._on_trade_delivery)
        self.stats.trades_sent += 1

    def send_dead_letter(self, dead_letter: DeadLetter) -> None:
        """Queue one dead letter: the raw input as value, the reason and the source in headers."""
        timestamp_ms = dead_letter.received_time // 1000 if dead_letter.received_time else int(time.time() * 1000)
        self._produce(self._dead_letter_topic, dead_letter.source.encode(), dead_letter.raw, timestamp_ms,
                      self._on_dead_letter_delivery, dead_letter.headers())
        self.stats.dead_letters_sent += 1

    def send(self, records: Iterable[object]) -> None:
        """Queue a batch of records, each to its topic, then serve pending delivery reports.

        Trades go to the trades topic and dead letters to the dead-letter topic; any other record
        type (a source's quotes, say) has no topic here and is counted in ``stats.skipped``.
        """
        for record in records:
            if type(record) is Trade:
                self.send_trade(record)
            elif type(record) is DeadLetter:
                self.send_dead_letter(record)
            else:
                if not self.stats.skipped:
                    log.warning("record_type_not_routed", record_type=type(record).__name__,
                                hint="only Trade and DeadLetter records have a topic; these are counted and skipped")
                self.stats.skipped += 1
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
