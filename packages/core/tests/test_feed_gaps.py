"""The FeedGap contract: the record, its Avro schema, its id, its topic, and the read mark it starts from."""

from __future__ import annotations

import hashlib
import io
import os
from datetime import UTC, datetime

import fastavro
import pytest
from confluent_kafka import KafkaError, Message

from coinstream.core import ConfigError, FeedGap, PluginHost, derive_gap_id, load_feed_gap_schema, parse_pipeline
from coinstream.core.config import KafkaSettings
from coinstream.core.ingest.gaps import LastRead, PreviousRun
from coinstream.core.ingest.spool import ReadMark
from coinstream.core.kafka import FEED_GAP, FeedGapAvroCodec, TradeAvroCodec, TradeProducer, pipeline_topics

START = 1_788_000_000_123_456
GAP = FeedGap(source="tiingo", session_id="1788000000000000-0a1b2c3d", gap_start=START, gap_end=START + 4_500_000,
              reason="connection lost", missing_trades=None, recorded_time=START + 4_600_000)


def test_the_gap_id_is_derived_from_source_session_start_and_reason():
    again = FeedGap(source="tiingo", session_id=GAP.session_id, gap_start=START, gap_end=START + 9_000_000,
                    reason="connection lost", recorded_time=START + 20_000_000)
    assert again.gap_id == GAP.gap_id  # a re-sent gap (a later end or record time) is the same record
    assert len(GAP.gap_id) == 32 and int(GAP.gap_id, 16) >= 0
    key = f"feed_gap\x1ftiingo\x1f{GAP.session_id}\x1f{START}\x1fconnection lost".encode()
    assert GAP.gap_id == hashlib.blake2b(key, digest_size=16).hexdigest()  # persisted: must never change
    others = {derive_gap_id("tiingo", GAP.session_id, START + 1, "connection lost"),
              derive_gap_id("tiingo", GAP.session_id, START, "ingestor killed"),
              derive_gap_id("tiingo", "other-session", START, "connection lost"),
              derive_gap_id("other", GAP.session_id, START, "connection lost")}
    assert len(others) == 4 and GAP.gap_id not in others


def test_a_gap_says_its_length_and_refuses_an_end_before_its_start():
    assert GAP.seconds == 4.5
    with pytest.raises(ValueError, match="gap_end=1 is before gap_start=2"):
        FeedGap(source="s", session_id="", gap_start=2, gap_end=1, reason="r", recorded_time=3)
    with pytest.raises(ValueError, match="missing_trades=-1 is negative"):
        FeedGap(source="s", session_id="", gap_start=1, gap_end=2, reason="r", missing_trades=-1, recorded_time=3)


@pytest.mark.parametrize("missing", [None, 1_234])
def test_a_gap_round_trips_through_the_avro_schema_file(missing):
    gap = FeedGap(source="tiingo", session_id="", gap_start=START, gap_end=START + 1, reason="spool full",
                  missing_trades=missing, recorded_time=START + 2)
    schema = fastavro.parse_schema(load_feed_gap_schema())
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, schema, gap.to_avro_dict())
    buffer.seek(0)
    decoded = fastavro.schemaless_reader(buffer, schema, schema)
    assert decoded["gap_start"] == datetime(2026, 8, 29, 10, 40, 0, 123456, tzinfo=UTC)  # timestamp-micros, UTC
    assert FeedGap.from_avro_dict(decoded) == gap


def test_the_schema_matches_the_record_and_is_a_v1_record_with_micro_timestamps():
    schema = load_feed_gap_schema()
    assert (schema["name"], schema["namespace"]) == ("FeedGap", "io.coinstream.v1")
    fields = {field["name"]: field for field in schema["fields"]}
    assert sorted(fields) == sorted(FeedGap.__dataclass_fields__)
    for name in ("gap_start", "gap_end", "recorded_time"):
        assert fields[name]["type"] == {"type": "long", "logicalType": "timestamp-micros"}
    assert fields["missing_trades"]["type"] == ["null", "long"] and fields["missing_trades"]["default"] is None


def test_the_codec_registers_under_the_topic_subject_and_decodes_what_it_encodes(registry):
    codec = FeedGapAvroCodec(registry, "crypto.feed_gaps.v1-value")
    payload = codec.encode(GAP)
    assert payload[:5] == b"\x00\x00\x00\x00\x01"  # Confluent wire format, schema id 1
    assert codec.decode(payload) == GAP
    assert '"name": "FeedGap"' in registry.subjects["crypto.feed_gaps.v1-value"]


class FakeProducer:
    def __init__(self) -> None:
        self.produced: list[dict] = []

    def produce(self, topic, value, key, timestamp, headers, on_delivery) -> None:
        self.produced.append({"topic": topic, "value": value, "key": key, "timestamp": timestamp,
                              "headers": headers, "on_delivery": on_delivery})

    def poll(self, timeout: float = 0.0) -> int:
        return 0


def test_the_producer_routes_a_gap_to_the_feed_gaps_topic_keyed_by_source(registry):
    settings = KafkaSettings(trades_topic="unit.trades", dead_letter_topic="unit.dlq", feed_gaps_topic="unit.gaps")
    kafka = FakeProducer()
    producer = TradeProducer(settings, TradeAvroCodec(registry, "unit.trades-value"), kafka)  # no gap codec given

    producer.send([GAP])

    (sent,) = kafka.produced
    assert (sent["topic"], sent["key"], sent["timestamp"]) == ("unit.gaps", b"tiingo", GAP.recorded_time // 1000)
    assert "unit.gaps-value" in registry.subjects  # registered on first use
    assert FeedGapAvroCodec(registry, "unit.gaps-value").decode(sent["value"]) == GAP
    assert (producer.stats.feed_gaps_sent, producer.stats.pending) == (1, 1)
    sent["on_delivery"](None, object())
    assert (producer.stats.feed_gaps_acked, producer.stats.pending, producer.stats.trades_acked) == (1, 0, 0)
    failure = KafkaError(KafkaError._MSG_TIMED_OUT)
    producer.delivery_callback(FEED_GAP)(failure, Message)
    assert producer.stats.failed == 1


def test_the_feed_gaps_topic_has_one_partition_the_pipelines_durability_and_delete_retention():
    settings = KafkaSettings(partitions=6, replication_factor=3, min_insync_replicas=2)
    trades, letters, gaps = pipeline_topics(settings)
    assert (trades.name, letters.name, gaps.name) == ("crypto.trades.v1", "crypto.trades.dlq", "crypto.feed_gaps.v1")
    assert (gaps.partitions, gaps.replication_factor, gaps.min_insync_replicas) == (1, 3, 2)
    assert gaps.all_configs()["cleanup.policy"] == "delete"
    assert gaps.all_configs()["unclean.leader.election.enable"] == "false"


def test_the_three_topics_must_differ():
    with pytest.raises(ConfigError, match="feed_gaps_topic='crypto.trades.dlq': each kind of record needs a topic"):
        parse_pipeline({"kafka": {"feed_gaps_topic": "crypto.trades.dlq"}}, PluginHost(autoload=False).registry,
                       environ={})


def test_the_read_mark_keeps_the_newest_whole_slot_and_tells_a_kill_from_a_stop(tmp_path):
    first = ReadMark(tmp_path)
    assert first.open() is None  # nothing read here before
    first.update(LastRead(START, "s-1", "tiingo"))
    first.update(LastRead(START + 10, "s-1", "tiingo"))
    os.close(first._fd)  # killed: the clean stop is never written

    second = ReadMark(tmp_path)
    assert second.open() == PreviousRun(LastRead(START + 10, "s-1", "tiingo"), clean=False)
    second.update(LastRead(START + 20, "s-2", "tiingo"))
    second.close()
    assert ReadMark(tmp_path).open() == PreviousRun(LastRead(START + 20, "s-2", "tiingo"), clean=True)


def test_a_torn_mark_falls_back_to_the_other_slot_and_a_run_that_read_nothing_keeps_a_kill(tmp_path):
    mark = ReadMark(tmp_path)
    mark.open()
    mark.update(LastRead(START, "s-1", "tiingo"))  # slot 1
    mark.update(LastRead(START + 10, "s-1", "tiingo"))  # slot 0
    os.close(mark._fd)
    with open(tmp_path / "read_mark", "r+b") as file:  # a power loss tore the newest write
        file.seek(20)
        file.write(b"\xff" * 8)

    idle = ReadMark(tmp_path)
    assert idle.open() == PreviousRun(LastRead(START, "s-1", "tiingo"), clean=False)
    idle.close()  # this run read nothing: the kill before it is still the reason
    assert ReadMark(tmp_path).open() == PreviousRun(LastRead(START, "s-1", "tiingo"), clean=False)
