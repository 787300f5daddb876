"""Peer baseline: the plain Python consumer a team might write instead of coinstream's processor.

One thread: a confluent-kafka Consumer drains a topic from its earliest offsets to the end offsets
read at start, fastavro decodes each value (the writer schema fetched from the registry by the id in
the 5-byte Confluent header), and deltalake's ``write_deltalake`` appends each batch to a Delta table
on the same local S3. It is deliberately simple, and a baseline only: no exactly-once (no Kafka
offsets stored, no idempotent write: a crash mid-run duplicates or loses a batch), no validation,
deduplication, enrichment or aggregates, one table. end_to_end.py's ``volume --compare`` runs it
next to the Spark pipelines; alone:

    .venv/bin/python bench/peer_baseline.py TOPIC [TOPIC ...] --prefix bench/peer/

prints, per topic, the rows written, the seconds to drain it, and when its first and last Delta
commits returned (wall-clock seconds since the epoch), as JSON lines.
"""

from __future__ import annotations

import argparse
import io
import json
import time
from dataclasses import asdict, dataclass
from typing import Any

import fastavro
import pyarrow as pa
from bench_stack import stack_sections
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
from deltalake import write_deltalake

from coinstream.core import KafkaSettings
from coinstream.core.kafka import decode_wire_header, schema_registry_client, watermark_offsets
from coinstream.lake.credentials import resolve_credentials
from coinstream.lake.settings import S3Settings
from coinstream.lake.storage import storage_options

BATCH = 50_000
_ARROW_TYPES = {"string": pa.string(), "double": pa.float64(), "long": pa.int64(), "int": pa.int32(),
                "boolean": pa.bool_(), "timestamp-micros": pa.timestamp("us", tz="UTC")}


@dataclass(frozen=True)
class TopicDrain:
    """One topic drained into the table: rows, seconds, and the wall times its first and last commits returned."""

    topic: str
    rows: int
    seconds: float
    first_commit_at: float | None
    last_commit_at: float | None


def arrow_schema(avro: dict[str, Any]) -> pa.Schema:
    """The Arrow schema of an Avro record of primitives, logical timestamps and ["null", T] unions."""
    fields = []
    for field in avro["fields"]:
        kind = field["type"]
        nullable = isinstance(kind, list)
        kind = next(k for k in kind if k != "null") if nullable else kind
        name = kind.get("logicalType", kind["type"]) if isinstance(kind, dict) else kind
        fields.append(pa.field(field["name"], _ARROW_TYPES[name], nullable=nullable))
    return pa.schema(fields)


class WriterSchemas:
    """Writer schemas by registry id, each fetched once."""

    def __init__(self, kafka: KafkaSettings) -> None:
        self._registry = schema_registry_client(kafka)
        self._parsed: dict[int, Any] = {}
        self.arrow: pa.Schema | None = None

    def decode(self, value: bytes) -> dict[str, Any]:
        schema_id = decode_wire_header(value)
        if schema_id not in self._parsed:
            raw = json.loads(self._registry.get_schema(schema_id).schema_str)
            self._parsed[schema_id], self.arrow = fastavro.parse_schema(raw), arrow_schema(raw)
        return fastavro.schemaless_reader(io.BytesIO(value[5:]), self._parsed[schema_id], None)


def drain_topic(kafka: KafkaSettings, topic: str, table_uri: str, options: dict[str, str]) -> TopicDrain:
    """Read ``topic`` from earliest to the end offsets it has now; append it to the table in batches."""
    started = time.monotonic()
    consumer = Consumer({"bootstrap.servers": kafka.bootstrap_servers, "group.id": f"peer-baseline-{topic}",
                         "enable.auto.commit": False, "enable.partition.eof": True})
    schemas, rows, first, last = WriterSchemas(kafka), 0, None, None
    try:
        partitions = consumer.list_topics(topic, timeout=30).topics[topic].partitions
        ends = {p: high for p, (_, high) in watermark_offsets(consumer, topic, partitions).items() if high > 0}
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in ends])
        remaining, batch = dict(ends), []
        while remaining or batch:
            for message in consumer.consume(10_000, timeout=1) if remaining else []:
                partition = message.partition()
                if message.error() is None and message.offset() < remaining.get(partition, -1):
                    batch.append(schemas.decode(message.value()))
                    if message.offset() + 1 >= ends[partition]:
                        del remaining[partition]
            if batch and (len(batch) >= BATCH or not remaining):
                write_deltalake(table_uri, pa.Table.from_pylist(batch, schema=schemas.arrow), mode="append",
                                storage_options=options)
                rows, batch, last = rows + len(batch), [], time.time()
                first = first or last
    finally:
        consumer.close()
    return TopicDrain(topic, rows, round(time.monotonic() - started, 2), first, last)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("topics", nargs="+", help="topics to drain, one after the other, into the same table")
    parser.add_argument("--prefix", default="bench/peer/", help="S3 key prefix; the table is <prefix>trades")
    args = parser.parse_args()
    kafka_raw, s3_raw = stack_sections()
    kafka, s3 = KafkaSettings(**kafka_raw), S3Settings(**{**s3_raw, "prefix": args.prefix})
    table_uri, options = f"s3://{s3.bucket}/{s3.prefix}trades", storage_options(s3, resolve_credentials())
    for topic in args.topics:
        print(json.dumps(asdict(drain_topic(kafka, topic, table_uri, options))), flush=True)


if __name__ == "__main__":
    main()
