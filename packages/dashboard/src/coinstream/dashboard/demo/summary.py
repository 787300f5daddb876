"""The demo's closing summary: trades in, rows per table, and proof that nothing was lost or doubled.

"Lost" and "duplicates" compare trade ids: every trade the ingestor put in Kafka during this run
must be in the Delta ``trades`` table exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc
from confluent_kafka import Consumer, TopicPartition
from rich.table import Table

from coinstream.core import KafkaSettings
from coinstream.core.kafka import TradeAvroCodec
from coinstream.core.kafka.avro import schema_registry_client, trades_subject
from coinstream.dashboard.lake import LakeLocation, open_table


@dataclass(frozen=True)
class DemoSummary:
    """What one demo run moved, and whether every trade landed once."""

    duration_s: float
    trades_in_kafka: int
    dead_letters: int
    trades_in_lake: int
    lost: int
    duplicates: int
    rows_per_table: dict[str, int]
    ack_p50_ms: float | None
    ack_p99_ms: float | None

    def table(self) -> Table:
        """The summary as a rich table."""
        table = Table(title="coinstream demo: summary (this run)")
        table.add_column("figure")
        table.add_column("value", justify="right")
        table.add_row("run time", f"{self.duration_s:,.0f} s")
        table.add_row("trades ingested (in Kafka)", f"{self.trades_in_kafka:,}")
        table.add_row("dead letters", f"{self.dead_letters:,}")
        table.add_row("trades landed in Delta", f"{self.trades_in_lake:,}")
        table.add_row("lost", f"{self.lost:,}", style="green" if self.lost == 0 else "bold red")
        table.add_row("duplicates", f"{self.duplicates:,}", style="green" if self.duplicates == 0 else "bold red")
        for name, rows in sorted(self.rows_per_table.items()):
            table.add_row(f"rows in {name} (all runs)", f"{rows:,}")
        if self.ack_p50_ms is not None:
            table.add_row("ingest -> Kafka ack p50 / p99", f"{self.ack_p50_ms:,.1f} / {self.ack_p99_ms or 0:,.1f} ms")
        return table


def kafka_trade_ids(kafka: KafkaSettings, since: datetime) -> list[str]:
    """Return the trade ids in the trades topic whose Kafka timestamp (ingest time) is at or after ``since``."""
    codec = TradeAvroCodec(schema_registry_client(kafka), trades_subject(kafka.trades_topic))
    consumer = Consumer({"bootstrap.servers": kafka.bootstrap_servers, "group.id": "coinstream-demo-summary",
                         "enable.auto.commit": False})
    try:
        partitions = consumer.list_topics(kafka.trades_topic, timeout=30).topics[kafka.trades_topic].partitions
        since_ms = int(since.timestamp() * 1000)
        starts = consumer.offsets_for_times([TopicPartition(kafka.trades_topic, p, since_ms) for p in partitions],
                                            timeout=30)
        ends = {p: consumer.get_watermark_offsets(TopicPartition(kafka.trades_topic, p), timeout=30)[1]
                for p in partitions}
        wanted = [tp for tp in starts if tp.offset >= 0 and tp.offset < ends[tp.partition]]
        remaining = {tp.partition: ends[tp.partition] - tp.offset for tp in wanted}
        ids: list[str] = []
        if not wanted:
            return ids
        consumer.assign(wanted)
        while any(count > 0 for count in remaining.values()):
            messages = consumer.consume(10_000, timeout=5)
            if not messages:
                break
            for message in messages:
                if message.error() is None and remaining.get(message.partition(), 0) > 0:
                    ids.append(codec.decode_record(message.value())["trade_id"])
                    remaining[message.partition()] -= 1
        return ids
    finally:
        consumer.close()


def lake_trade_ids(location: LakeLocation, since: datetime) -> list[str]:
    """Return the trade ids in the Delta trades table with an ingest time at or after ``since``."""
    table = open_table(location, "trades")
    if table is None:
        return []
    data = table.to_pyarrow_table(columns=["trade_id", "ingest_time"])
    cutoff = since.astimezone(UTC)
    mask = pc.greater_equal(data["ingest_time"], pa.scalar(cutoff, type=data["ingest_time"].type))
    return data.filter(mask)["trade_id"].to_pylist()


def rows_per_table(location: LakeLocation, tables: tuple[str, ...]) -> dict[str, int]:
    """Return the row count of each table that exists."""
    counts = {}
    for name in tables:
        table = open_table(location, name)
        if table is not None:
            counts[name] = table.to_pyarrow_dataset().count_rows()
    return counts
