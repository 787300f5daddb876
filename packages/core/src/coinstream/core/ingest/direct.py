"""Source batches -> Kafka with no spool (``[ingest] spool_enabled = false``).

Records live only in memory until Kafka acknowledges them: a crash loses what librdkafka holds,
and a delivery that fails after ``message.timeout.ms`` is counted as failed. The event loop still
never blocks: when librdkafka's queue is full the batch waits with ``await``, not in ``poll()``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import structlog
from confluent_kafka import KafkaException

from coinstream.core.kafka.producer import (
    DEAD_LETTER,
    FEED_GAP,
    KIND_NAMES,
    SIZE_ERRORS,
    TRADE,
    OutboundMessage,
    TradeProducer,
    truncated_dead_letter,
)

log = structlog.get_logger(__name__)

QUEUE_FULL_WAIT_S = 0.05
FLUSH_TIMEOUT_S = 120.0  # nothing else holds these records: wait for them as long as librdkafka does


class DirectDelivery:
    """Hands each batch to librdkafka, waiting (asynchronously) while its queue is full."""

    def __init__(self, producer: TradeProducer) -> None:
        self.producer = producer

    def start(self) -> None:
        """Nothing to start: no spool, no backlog task."""

    def stop_waiting(self) -> None:
        """Nothing waits for room here."""

    @property
    def waiting(self) -> int:
        """Records handed to librdkafka and not yet acknowledged."""
        return self.producer.stats.pending

    def figures(self) -> dict[str, int | float]:
        """No spool, no spool figures."""
        return {}

    async def accept(self, batch: Sequence[object], read: object = None) -> None:
        """Hand a batch to librdkafka, in order, waiting while its queue is full (``read``: no read
        mark without a spool)."""
        messages = [message for message in map(self.producer.outbound, batch) if message is not None]
        sent = self._send(messages, 0)
        while sent < len(messages):
            await asyncio.sleep(QUEUE_FULL_WAIT_S)
            self.producer.poll(0)
            sent = self._send(messages, sent)

    def _send(self, messages: list[OutboundMessage], start: int) -> int:
        """Produce messages from ``start`` on; return the index of the first one librdkafka had no room for."""
        producer = self.producer
        stats = producer.stats
        callbacks = tuple(map(producer.delivery_callback, (TRADE, DEAD_LETTER, FEED_GAP)))
        index = start
        while index < len(messages):
            message = messages[index]
            try:
                producer.produce(message, callbacks[message[0]])
            except BufferError:
                break
            except KafkaException as raised:
                error = raised.args[0]
                stats.last_error = str(error)
                if error.code() in SIZE_ERRORS:
                    messages[index] = truncated_dead_letter(message, str(error))  # sent next, in its place
                    log.error("message_too_large", kind=KIND_NAMES[message[0]], bytes=len(message[2]),
                              error=str(error), hint="sent as a truncated dead letter instead")
                    stats.count_sent(message[0])
                    stats.truncated += 1
                    continue
                stats.count_sent(message[0])
                stats.failed += 1  # without a spool there is nowhere to keep it
                producer.outage.failed(str(error), stats.pending)
            else:
                stats.count_sent(message[0])
            index += 1
        producer.poll(0)
        return index

    async def finish(self, deadline: float) -> int:
        """Flush: wait up to FLUSH_TIMEOUT_S (not ``deadline``: nothing would keep these records)."""
        return int(await asyncio.to_thread(self.producer.flush, FLUSH_TIMEOUT_S))
