"""The ingestor against the real stack: simulator -> tiingo source -> Avro -> Kafka.

N simulated trades in, exactly N records in Kafka (by trade_id); every malformed frame in the
dead-letter topic with its reason; a dropped connection recovered without a duplicate, and its gap
on the feed gaps topic; the API key in no log line.
"""

from __future__ import annotations

import asyncio
import io
import logging
import uuid

import pytest
import structlog

from coinstream.core import PluginHost, parse_pipeline
from coinstream.core.ingest import IngestOptions, Ingestor
from coinstream.core.kafka import FeedGapAvroCodec, TradeAvroCodec
from coinstream.core.logs import configure_logging
from coinstream.tiingo.simulator import FaultPlan, Simulator, SimulatorConfig

from ..kafka.topic_reader import read_topic

pytestmark = pytest.mark.stack

API_KEY = "sk-ingest-test-8c1f0e9d2b7a"


def make_pipeline(local_stack, simulator: Simulator, spool_dir, *, heartbeat_timeout_s: float = 60.0):
    suffix = uuid.uuid4().hex[:10]
    return parse_pipeline({
        "pipeline": {"name": f"ingest-test-{suffix}"},
        "kafka": {"bootstrap_servers": local_stack.bootstrap_servers,
                  "schema_registry_url": local_stack.schema_registry_url,
                  "trades_topic": f"test.ingest.{suffix}", "dead_letter_topic": f"test.ingest.dlq.{suffix}",
                  "feed_gaps_topic": f"test.ingest.gaps.{suffix}", "partitions": 3},
        "ingest": {"spool_dir": str(spool_dir)},
        "source": {"name": "tiingo", "url": simulator.url, "rest_url": simulator.rest_url,
                   "reconnect_initial_s": 0.1, "reconnect_max_s": 0.5,
                   "heartbeat_timeout_s": heartbeat_timeout_s},
    }, PluginHost(allowed=["tiingo"]).registry, environ={"COINSTREAM_TIINGO_API_KEY": API_KEY})


async def ingest_until(pipeline, done) -> tuple[Ingestor, object]:
    """Run the ingestor until ``done(ingestor)`` is true (checked twice a second), then stop it."""
    ingestor = Ingestor(pipeline, PluginHost(autoload=False).hook, IngestOptions(metrics_interval_s=1.0))
    task = asyncio.create_task(ingestor.run())
    for _ in range(240):
        await asyncio.sleep(0.5)
        if task.done():
            break
        if ingestor.delivery is not None and done(ingestor):
            break
    ingestor.request_stop("test done")
    report = await asyncio.wait_for(task, 120)
    return ingestor, report


def settled(ingestor: Ingestor, trades: int, dead_letters: int) -> bool:
    stats = ingestor.delivery
    return stats.trades_acked >= trades and stats.dead_letters_acked >= dead_letters


async def test_n_simulated_trades_are_exactly_n_records_and_malformed_frames_are_dead_letters(local_stack, tmp_path):
    frames = 3_000
    config = SimulatorConfig(rate=3_000, max_frames=frames, api_key=API_KEY, seed=11,
                             faults=FaultPlan(malformed_every=250))
    async with Simulator(config) as simulator:
        pipeline = make_pipeline(local_stack, simulator, tmp_path / "spool")
        ingestor, report = await ingest_until(
            pipeline, lambda i: settled(i, frames - frames // 250, frames // 250))
        sent_malformed = simulator.stats.malformed_sent
        # malformed frames replace trades (some still look like trades: simulator.stats.trades_sent counts them)
        sent_trades = frames - sent_malformed

    assert sent_malformed == frames // 250
    assert report.clean and report.failed == 0
    assert report.trades_acked == sent_trades
    assert report.dead_letters_acked == sent_malformed

    kafka = pipeline.config.kafka
    codec = TradeAvroCodec.for_kafka(kafka)
    trades = [codec.decode(m.value()) for m in read_topic(kafka.bootstrap_servers, kafka.trades_topic,
                                                          sent_trades).messages]
    assert len(trades) == sent_trades
    assert len({t.trade_id for t in trades}) == sent_trades  # identical genuine trades keep distinct ids
    assert all(t.source == "tiingo" and t.price > 0 and t.size > 0 for t in trades)

    letters = read_topic(kafka.bootstrap_servers, kafka.dead_letter_topic, sent_malformed).messages
    assert len(letters) == sent_malformed
    for letter in letters:
        headers = dict(letter.headers())
        reason = headers["coinstream.reason"].decode()
        assert reason and ":" in reason, reason  # "<field>: <what was wrong>, got <value>"
        assert headers["coinstream.source"] == b"tiingo"
        assert letter.value()  # the raw frame, kept for replay


async def test_a_dropped_connection_is_recovered_without_a_duplicate_and_its_gap_recorded(local_stack, tmp_path):
    frames = 4_000
    config = SimulatorConfig(rate=4_000, max_frames=frames, api_key=API_KEY, seed=12,
                             faults=FaultPlan(drop_after=1_500, fault_connections=1))
    async with Simulator(config) as simulator:
        pipeline = make_pipeline(local_stack, simulator, tmp_path / "spool")
        ingestor, report = await ingest_until(
            pipeline, lambda i: simulator.stats.drops >= 1 and simulator.stats.connections >= 2
            and i.delivery.trades_acked >= 1_500 + 1_000)

    assert simulator.stats.drops == 1
    assert report.reconnects >= 1 and report.gaps >= 1
    assert report.clean

    kafka = pipeline.config.kafka
    codec = TradeAvroCodec.for_kafka(kafka)
    trades = [codec.decode(m.value()) for m in read_topic(kafka.bootstrap_servers, kafka.trades_topic,
                                                          report.trades_acked).messages]
    ids = [t.trade_id for t in trades]
    assert len(ids) == report.trades_acked
    assert len(set(ids)) == len(ids), "a trade was produced twice"

    gap_codec = FeedGapAvroCodec.for_kafka(kafka)
    gaps = [gap_codec.decode(m.value()) for m in read_topic(kafka.bootstrap_servers, kafka.feed_gaps_topic, 1).messages]
    assert [(g.source, g.reason, g.missing_trades) for g in gaps] == [("tiingo", "connection lost", None)]
    assert report.feed_gaps_acked == 1
    # From the last trade of the dropped session to the new one's first frame, before its first trade.
    assert gaps[0].gap_start == max(t.ingest_time for t in trades if t.ingest_time <= gaps[0].gap_start)
    assert gaps[0].gap_end <= min(t.ingest_time for t in trades if t.ingest_time > gaps[0].gap_start)


async def test_the_api_key_never_appears_in_any_log_line(local_stack, tmp_path):
    stream = io.StringIO()
    configure_logging("debug", "json", stream=stream)
    try:
        config = SimulatorConfig(rate=2_000, max_frames=500, api_key=API_KEY, seed=13)
        async with Simulator(config) as simulator:
            pipeline = make_pipeline(local_stack, simulator, tmp_path / "spool")
            structlog.get_logger("test").info("pipeline_loaded", settings=pipeline.source.settings.model_dump())
            _, report = await ingest_until(pipeline, lambda i: i.delivery.trades_acked >= 500)
    finally:
        structlog.reset_defaults()
        logging.getLogger().handlers.clear()

    output = stream.getvalue()
    assert report.trades_acked == 500
    assert "ingest_started" in output and "ingest_finished" in output  # the logs were captured
    assert API_KEY not in output
