"""The demo's books: every frame the feed sent, followed to the one place it ended.

Pure arithmetic over figures the demo gathered (the simulator's and the ingestor's counts, this
run's trades in Kafka, the processor's committed offsets, the trade ids in the lake), so the rules
can be tested without a stack:

- frames sent by the feed = frames the ingestor read + frames it never read;
- frames read = trades put in Kafka + dead letters put in Kafka + what the ingestor failed to put there
  (+ quotes, which the source reads and does not keep unless asked to);
- trades in Kafka = landed in ``trades`` + quarantined + late (in ``late_trades``) + still in Kafka (not
  yet processed) + lost.

Records an earlier, interrupted run left in the ingestor's spool are sent first by the next run;
they land among this run's offsets, so they are counted on a line of their own and added to the
frames sent.

A trade is *lost* only when the processor has committed past its offset and it is in none of the
``trades``, ``quarantine`` and ``late_trades`` tables. A trade the processor has not reached yet is
*not yet landed*: it is safe in Kafka, and the next run lands it. A trade id in two of those tables,
or twice in one, is a duplicate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from coinstream.devstack.demo.checkpoints import PartitionOffsets
from coinstream.devstack.demo.kafka_range import KafkaTrade


@dataclass(frozen=True)
class FeedCounts:
    """What the feed sent (None for the real feed, which does not tell) and what the ingestor read of it."""

    frames_sent: int | None
    trades_received: int
    dead_letters_received: int
    malformed_sent: int | None = None
    invalid_sent: int | None = None
    quotes_received: int = 0
    resent_on_start: int = 0  # records an earlier, interrupted run left in the spool, sent by this one


@dataclass(frozen=True)
class DemoAccount:
    """One run's books; every figure is of this run only (earlier runs' leftovers are counted apart)."""

    frames_sent: int
    frames_not_read: int
    trades_received: int
    dead_letters_received: int
    ingest_failed: int
    trades_in_kafka: int
    dead_letters_in_kafka: int
    landed: int
    quarantined: int
    late: int
    not_yet_landed: int
    lost_after_kafka: int
    duplicates: int
    earlier_runs_landed: int
    malformed_sent: int | None = None
    invalid_sent: int | None = None
    quotes_not_kept: int = 0
    resent_from_earlier_run: int = 0

    @property
    def lost(self) -> int:
        """Every frame the feed sent that ended nowhere: unread, not put in Kafka, or gone after Kafka."""
        return self.frames_not_read + self.ingest_failed + self.lost_after_kafka

    @property
    def balanced(self) -> bool:
        """True when the lines add up: frames sent (+ an earlier run's re-sent records) = every place a
        frame can end."""
        return self.frames_sent + self.resent_from_earlier_run == (
            self.landed + self.quarantined + self.late + self.not_yet_landed + self.lost_after_kafka
            + self.dead_letters_in_kafka + self.frames_not_read + self.ingest_failed + self.quotes_not_kept)

    def as_dict(self) -> dict[str, Any]:
        """The books as JSON-ready figures (with ``lost`` and ``balanced``)."""
        return {**asdict(self), "lost": self.lost, "balanced": self.balanced}


def _routed(kafka_trades: Iterable[KafkaTrade], landed_ids: set[str], quarantined_ids: set[str],
            late_ids: set[str], processed: PartitionOffsets) -> tuple[int, int, int, int, int]:
    """Return (landed, quarantined, late, not yet processed, missing) counts of this run's trades."""
    landed = quarantined = late = pending = missing = 0
    for trade in kafka_trades:
        if trade.trade_id in landed_ids:
            landed += 1
        elif trade.trade_id in quarantined_ids:
            quarantined += 1
        elif trade.trade_id in late_ids:
            late += 1
        elif trade.offset >= processed.get(trade.partition, 0):
            pending += 1
        else:
            missing += 1
    return landed, quarantined, late, pending, missing


def settle(feed: FeedCounts, kafka_trades: list[KafkaTrade], dead_letters_in_kafka: int,
           lake_trade_ids: Iterable[str], quarantined_ids: Iterable[str], late_ids: Iterable[str],
           processed: PartitionOffsets, earlier_runs_landed: int) -> DemoAccount:
    """Balance one run's books.

    ``lake_trade_ids``, ``quarantined_ids`` and ``late_ids`` are the trade ids the ``trades``,
    ``quarantine`` and ``late_trades`` tables gained during the run. ``processed`` holds, per
    partition, the lowest offset that every routing query (one per those tables) has committed:
    below it a trade has been through all of them.
    """
    lake_counts, quarantine_counts, late_counts = Counter(lake_trade_ids), Counter(quarantined_ids), Counter(late_ids)
    landed, quarantined, late, pending, missing = _routed(
        kafka_trades, set(lake_counts), set(quarantine_counts), set(late_counts), processed)
    everywhere = lake_counts + quarantine_counts + late_counts
    trades_in_kafka = len(kafka_trades)
    dead_letters_read = feed.dead_letters_received
    frames_read = feed.trades_received + dead_letters_read + feed.quotes_received
    frames_sent = feed.frames_sent if feed.frames_sent is not None else frames_read
    return DemoAccount(
        frames_sent=frames_sent, frames_not_read=max(0, frames_sent - frames_read),
        trades_received=feed.trades_received, dead_letters_received=dead_letters_read,
        ingest_failed=max(0, feed.trades_received + dead_letters_read + feed.resent_on_start
                          - trades_in_kafka - dead_letters_in_kafka),
        trades_in_kafka=trades_in_kafka, dead_letters_in_kafka=dead_letters_in_kafka, landed=landed,
        quarantined=quarantined, late=late, not_yet_landed=pending, lost_after_kafka=missing,
        duplicates=sum(count - 1 for count in everywhere.values() if count > 1),
        earlier_runs_landed=earlier_runs_landed, malformed_sent=feed.malformed_sent,
        invalid_sent=feed.invalid_sent, quotes_not_kept=feed.quotes_received,
        resent_from_earlier_run=feed.resent_on_start)


def lowest(offsets: Iterable[Mapping[int, int]]) -> PartitionOffsets:
    """Per partition, the lowest of several queries' committed offsets (0 where one has none)."""
    tables = list(offsets)
    partitions = {p for table in tables for p in table}
    return {p: min(table.get(p, 0) for table in tables) for p in partitions}
