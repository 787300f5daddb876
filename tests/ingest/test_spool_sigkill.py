"""``coinstream ingest`` killed with SIGKILL mid-stream, then started again, against the real stack.

What the killed ingestor had spooled but Kafka had not acknowledged is re-sent by the next start,
with the same trade_ids and the same bytes. The feed session's trade ids are recomputed from its
frame positions, so the test can tell that the session's trades in Kafka run without a hole up
to the last one the source handed over: none of them is lost (the exactly-once part, removing the
re-sent duplicates, happens downstream). The time the ingestor was away is one ``ingestor killed``
record on the feed gaps topic, from the last trade the killed run read to the first the next one read.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Consumer

from coinstream.core import KafkaSettings, derive_trade_id
from coinstream.core.ingest.spool import read_records
from coinstream.core.kafka import TRADE, FeedGapAvroCodec, TradeAvroCodec, watermark_offsets
from coinstream.tiingo.simulator import SimulatorConfig
from coinstream.tiingo.simulator.threaded import simulator_in_thread

from ..conftest import ingest_pipeline_toml, unique_kafka_settings
from ..kafka.topic_reader import read_topic

pytestmark = pytest.mark.stack

RATE = 5_000
KILL_AFTER_ACKED = 10_000


def write_pipeline(folder: Path, local_stack, simulator) -> tuple[Path, KafkaSettings, Path]:
    kafka = unique_kafka_settings(local_stack, "spoolkill", partitions=3)
    spool_dir = folder / "spool"
    path = folder / "pipeline.toml"
    path.write_text(ingest_pipeline_toml(f"spool-kill-{uuid.uuid4().hex[:10]}", kafka, spool_dir, simulator,
                                         ingest='spool_sync = "batch"\n',
                                         source="reconnect_initial_s = 0.1\nreconnect_max_s = 0.5\n"),
                    encoding="utf-8")
    return path, kafka, spool_dir


def start_ingest(pipeline: Path, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "coinstream.core.cli.main", "--log-format", "json", "ingest", str(pipeline),
               "--no-progress", "--metrics-interval", "1", *extra]
    with open(log, "wb") as output:
        return subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT,
                                env={**os.environ, "COINSTREAM_PLUGINS": "tiingo"})


def events(log: Path, name: str) -> list[dict]:
    found = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("{"):
            event = json.loads(line)
            if event.get("event") == name:
                found.append(event)
    return found


def topic_exists(bootstrap: str, topic: str) -> bool:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"probe-{uuid.uuid4().hex}"})
    try:
        metadata = consumer.list_topics(topic, timeout=30).topics.get(topic)
        return metadata is not None and metadata.error is None and bool(metadata.partitions)
    finally:
        consumer.close()


def topic_size(bootstrap: str, topic: str) -> int:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"size-{uuid.uuid4().hex}"})
    try:
        partitions = consumer.list_topics(topic, timeout=30).topics[topic].partitions
        return sum(high - low for low, high in watermark_offsets(consumer, topic, partitions).values())
    finally:
        consumer.close()


def wait_for_acked(process: subprocess.Popen[bytes], kafka: KafkaSettings, count: int, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        if topic_exists(kafka.bootstrap_servers, kafka.trades_topic) \
                and topic_size(kafka.bootstrap_servers, kafka.trades_topic) >= count:
            return
        time.sleep(0.2)
    raise AssertionError(f"fewer than {count} trades in Kafka after 120 s: {log.read_text()[-3000:]}")


def spooled_trades(spool_dir: Path) -> list[bytes]:
    """The trade values in the spool's segment files, oldest first (what the killed run left)."""
    values = []
    for path in sorted(spool_dir.glob("*.spool")):
        values.extend(message[2] for message in read_records(path.read_bytes()).messages if message[0] == TRADE)
    return values


def test_a_sigkilled_ingestor_restarted_loses_no_trade_resends_the_same_ids_and_bytes_and_records_the_gap(
        local_stack, tmp_path):
    config = SimulatorConfig(rate=RATE, seed=31, quote_share=0.0, heartbeat_interval_s=3_600)
    with simulator_in_thread(config) as simulator:
        pipeline, kafka, spool_dir = write_pipeline(tmp_path, local_stack, simulator)
        first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
        first = start_ingest(pipeline, first_log)
        try:
            wait_for_acked(first, kafka, KILL_AFTER_ACKED, first_log)
            first.send_signal(signal.SIGKILL)
            first.wait(30)
        finally:
            if first.poll() is None:
                first.kill()
        spooled = spooled_trades(spool_dir)
        before = read_topic(kafka.bootstrap_servers, kafka.trades_topic,
                            topic_size(kafka.bootstrap_servers, kafka.trades_topic), settle_s=1.0).messages

        second = start_ingest(pipeline, second_log, "--duration", "6")
        try:
            assert second.wait(90) == 0, second_log.read_text()[-3000:]
        finally:
            if second.poll() is None:
                second.kill()
        frames_sent = simulator.stats.frames_sent

    after = read_topic(kafka.bootstrap_servers, kafka.trades_topic,
                       topic_size(kafka.bootstrap_servers, kafka.trades_topic), settle_s=1.0).messages
    codec = TradeAvroCodec.for_kafka(kafka)
    ids_before = {codec.decode(m.value()).trade_id for m in before}
    ids_spooled = [codec.decode(value).trade_id for value in spooled]
    trades_after = [codec.decode(m.value()) for m in after]
    ids_after = [trade.trade_id for trade in trades_after]

    # The kill left trades only the spool had, and the restart sent every spooled one, byte for byte.
    assert set(ids_spooled) - ids_before, "the kill left nothing unacknowledged: the test proved nothing"
    assert set(ids_spooled) <= set(ids_after)
    assert set(spooled) <= {m.value() for m in after}
    finished = events(second_log, "ingest_finished")[-1]
    assert finished["resent_on_start"] == len(spooled) and finished["spool_records"] == 0
    assert not list(spool_dir.glob("*.spool"))  # all acknowledged: the second run left only its read mark

    # The killed run's feed session: every trade from its first frame up to the last one that was
    # spooled or acknowledged is in Kafka (by set and by count); none in between is missing.
    session = events(first_log, "feed_connected")[0]["session_id"]
    sequence_of = {derive_trade_id("tiingo", session, sequence): sequence for sequence in range(frames_sent + 1)}
    handed_over = [sequence_of[i] for i in ids_before | set(ids_spooled)]
    session_in_kafka = [sequence_of[i] for i in ids_after if i in sequence_of]
    first_trade, last_trade = min(session_in_kafka), max(handed_over)
    assert set(session_in_kafka) == set(range(first_trade, max(session_in_kafka) + 1))
    assert max(session_in_kafka) == last_trade
    assert len(set(session_in_kafka)) == last_trade - first_trade + 1 >= KILL_AFTER_ACKED
    assert len(session_in_kafka) - len(set(session_in_kafka)) <= len(spooled)  # duplicates only from re-sends

    # The ingestor's absence: one gap, from the last trade the killed run read (spooled or acknowledged,
    # now all in Kafka) to the first trade the restarted run read.
    gap_messages = read_topic(kafka.bootstrap_servers, kafka.feed_gaps_topic, 1, settle_s=1.0).messages
    gap_codec = FeedGapAvroCodec.for_kafka(kafka)
    (gap,) = [gap_codec.decode(m.value()) for m in gap_messages]
    killed_run = [t for t in trades_after if t.trade_id in sequence_of]
    restarted_run = [t for t in trades_after if t.trade_id not in sequence_of]
    assert (gap.reason, gap.source, gap.session_id, gap_messages[0].key()) == (
        "ingestor killed", "tiingo", session, b"tiingo")
    assert gap.gap_start == max(t.ingest_time for t in killed_run)
    assert gap.gap_end == min(t.ingest_time for t in restarted_run)
    assert finished["feed_gaps_acked"] == 1 and finished["gaps"] == 1
