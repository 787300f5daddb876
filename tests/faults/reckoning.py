"""One case's books: what the feed sent, set against Kafka and the lake, trade id by trade id.

Every trade frame the ingestor received must be in exactly one of ``trades``, ``quarantine`` and
``late_trades`` (once that table exists), every dead-letter frame in the dead-letter topic with a
reason. ``lost`` counts what is in none of them, ``duplicated`` every extra copy in the tables.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from coinstream.lake.errors import TableNotFoundError
from coinstream.lake.reader import LakeReader

from .feed_ledger import FeedLedger
from .kafka_readback import KafkaReadback

ROW_TABLES = ("trades", "quarantine", "late_trades")
"""The tables that hold trades row by row; a trade belongs in exactly one of them."""


@dataclass
class CaseFigures:
    """The line a case prints, and the summary table's row."""

    case: str
    rate: float
    duration_s: float
    sent: int                      # data frames the simulator wrote (trades and bad frames)
    not_received: int              # written, never read by the client: in flight at a drop (a feed gap)
    unread_at_kill: int            # after the last record a killed ingestor put in Kafka (a feed gap)
    landed: int                    # owed trades in `trades`
    quarantined: int
    late: int
    dead_letters: int              # owed dead letters found in the dead-letter topic
    lost: int                      # owed trades in no table + owed dead letters not in the topic
    lost_before_kafka: int         # of the lost trades, those that never reached the trades topic
    duplicated: int                # extra copies of owed trades across the tables
    dead_letter_copies: int        # extra copies in the dead-letter topic (it has no deduplication)
    unreceived_landed: int         # trades the client never received that landed anyway: a broken ledger
    gaps: int                      # feed gap records the case put on the feed gaps topic
    recover_s: float | None
    processor_exits: list[str] = field(default_factory=list)  # times it stopped by itself (the suite restarted it)
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        recover = "-" if self.recover_s is None else f"{self.recover_s:.1f} s"
        gap = self.not_received + self.unread_at_kill
        return (f"[{self.case}] sent {self.sent:,} / landed {self.landed:,} / quarantined {self.quarantined:,} / "
                f"dead letters {self.dead_letters:,} / late {self.late:,} / lost {self.lost:,} / duplicated "
                f"{self.duplicated:,} / time to recover {recover} (not received, a feed gap: {gap:,}, in "
                f"{self.gaps} gap records; "
                f"{self.rate:,.0f} trades/s for {self.duration_s:.0f} s)"
                + "".join(f"\n    the processor stopped by itself, restarted: {exit}" for exit in self.processor_exits)
                + "".join(f"\n    {note}" for note in self.notes))


def table_ids(lake: LakeReader, table: str) -> Counter[str]:
    """Every trade id in a table, with its number of rows (empty when the table does not exist)."""
    try:
        column = lake.read(table, columns=["trade_id"]).column("trade_id")
    except TableNotFoundError:
        return Counter()
    return Counter(column.to_pylist())


def reckon(case: str, rate: float, duration_s: float, ledger: FeedLedger, kafka: KafkaReadback, lake: LakeReader,
           recover_s: float | None) -> CaseFigures:
    """Set the feed ledger against Kafka and the lake (read now) and return the case's figures."""
    owed = ledger.trades
    found: dict[str, Counter[str]] = {}
    for table in ROW_TABLES:
        counts = table_ids(lake, table)
        found[table] = Counter({trade_id: n for trade_id, n in counts.items()
                                if trade_id in owed or trade_id in ledger.unreceived_ids})
    copies: Counter[str] = Counter()
    for counts in found.values():
        copies.update(counts)
    missing = [trade_id for trade_id in owed if trade_id not in copies]
    missing_dead_letters = [key for key in ledger.dead_letters if key not in kafka.dead_letters]
    return CaseFigures(
        case=case, rate=rate, duration_s=duration_s, sent=ledger.data_frames_sent,
        not_received=ledger.not_received, unread_at_kill=ledger.unread_at_kill,
        landed=sum(1 for trade_id in found["trades"] if trade_id in owed),
        quarantined=sum(1 for trade_id in found["quarantine"] if trade_id in owed),
        late=sum(1 for trade_id in found["late_trades"] if trade_id in owed),
        dead_letters=sum(1 for key in ledger.dead_letters if key in kafka.dead_letters),
        lost=len(missing) + len(missing_dead_letters),
        lost_before_kafka=sum(1 for trade_id in missing if trade_id not in kafka.trade_ids),
        duplicated=sum(n - 1 for trade_id, n in copies.items() if trade_id in owed),
        dead_letter_copies=sum(n - 1 for key, n in kafka.dead_letters.items() if key in ledger.dead_letters),
        unreceived_landed=sum(1 for trade_id in copies if trade_id in ledger.unreceived_ids),
        gaps=len(kafka.gaps),
        recover_s=recover_s)


def assert_exactly_once(figures: CaseFigures) -> None:
    """Nothing owed is missing, nothing is there twice, nothing the client never received landed."""
    assert figures.lost == 0, figures.line()
    assert figures.duplicated == 0, figures.line()
    assert figures.unreceived_landed == 0, figures.line()
