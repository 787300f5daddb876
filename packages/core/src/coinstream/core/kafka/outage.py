"""Kafka outages as a few log lines, not one line per record.

An outage starts when librdkafka reports every broker down, when a delivery fails, or when records
wait and nothing has been acknowledged for ``stall_s`` seconds (two brokers down leave a partition
below min.insync.replicas: librdkafka then retries quietly). It ends at the next acknowledgement.
One ``kafka_unavailable`` warning opens it, a repeat at most every ``repeat_s`` carries the count
so far, and one ``kafka_available`` line closes it.
"""

from __future__ import annotations

import time

import structlog

log = structlog.get_logger(__name__)


class KafkaOutage:
    """Tracks whether Kafka acknowledges, and logs each outage a bounded number of times."""

    def __init__(self, repeat_s: float = 60.0, stall_s: float = 10.0) -> None:
        self.repeat_s = repeat_s
        self.stall_s = stall_s
        self.active = False
        self.outages = 0
        self.failures = 0  # delivery failures in the current outage
        self._started = 0.0
        self._logged = 0.0
        self._reason = ""
        self._last_acked = -1
        self._last_progress = time.monotonic()

    def failed(self, reason: str, waiting: int) -> None:
        """A delivery failed, or every broker is down: open the outage, or count into it."""
        now = time.monotonic()
        if self.active:
            self.failures += 1
            if now - self._logged >= self.repeat_s:
                self._log(now, waiting)
            return
        self.active, self.failures, self._reason = True, 1, reason
        self.outages += 1
        self._started = now
        self._log(now, waiting)

    def acknowledged(self, waiting: int) -> None:
        """Kafka acknowledged a record: close the outage, if one is open."""
        self._last_progress = time.monotonic()
        if self.active:
            self.active = False
            log.info("kafka_available", outage_s=round(self._last_progress - self._started, 1),
                     delivery_failures=self.failures, waiting=waiting)

    def check(self, acked: int, waiting: int) -> None:
        """Called periodically with the acknowledged total and the records waiting for an ack."""
        now = time.monotonic()
        if acked != self._last_acked or waiting == 0:
            self._last_acked, self._last_progress = acked, now
            return
        if not self.active and now - self._last_progress >= self.stall_s:
            self.failed(f"no acknowledgement for {self.stall_s:.0f} s", waiting)
        elif self.active and now - self._logged >= self.repeat_s:
            self._log(now, waiting)

    def _log(self, now: float, waiting: int) -> None:
        self._logged = now
        log.warning("kafka_unavailable", reason=self._reason, outage_s=round(now - self._started, 1),
                    delivery_failures=self.failures, waiting=waiting,
                    hint="records wait (in the spool when it is on) and are sent once Kafka acknowledges again")
