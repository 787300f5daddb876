"""Kafka unreachable while the feed runs: the ingestor keeps reading the websocket into the spool,
logs the outage once, stops within the SIGTERM budget, and the next start delivers every trade.

The brokers of the shared stack are not touched: the first run points at a port where nothing
listens (all brokers unreachable, as when all three are down), the second at the real cluster.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from confluent_kafka.admin import AdminClient
from structlog.testing import capture_logs

from coinstream.core import PluginHost, SourceStats, parse_pipeline
from coinstream.core.ingest import IngestOptions, Ingestor
from coinstream.core.ingest.spool import read_records
from coinstream.core.kafka import TradeAvroCodec, admin_config, ensure_topics, pipeline_topics
from coinstream.tiingo.simulator import Simulator, SimulatorConfig

from ..kafka.topic_reader import read_topic
from ..ports import unused_port

pytestmark = pytest.mark.stack


class NoFeed:
    """A source with nothing to say: the restart only re-sends the spool."""

    def __init__(self) -> None:
        self.stats = SourceStats()

    async def batches(self):
        return
        yield

    async def close(self) -> None:
        return None


def pipeline(local_stack, simulator: Simulator, spool_dir, topics: str, bootstrap: str):
    return parse_pipeline({
        "pipeline": {"name": f"kafka-down-{topics}"},
        "kafka": {"bootstrap_servers": bootstrap, "schema_registry_url": local_stack.schema_registry_url,
                  "trades_topic": f"test.kafkadown.{topics}", "dead_letter_topic": f"test.kafkadown.dlq.{topics}",
                  "feed_gaps_topic": f"test.kafkadown.gaps.{topics}",
                  "partitions": 3,
                  # a small local queue, so the backlog spends most of the outage on disk only
                  "producer": {"queue.buffering.max.messages": 5_000}},
        "ingest": {"spool_dir": str(spool_dir)},
        "source": {"name": "tiingo", "url": simulator.url, "rest_url": simulator.rest_url},
    }, PluginHost(allowed=["tiingo"]).registry)


async def test_with_every_broker_unreachable_the_feed_is_spooled_and_the_next_start_delivers_it(local_stack, tmp_path):
    topics = uuid.uuid4().hex[:10]
    spool_dir = tmp_path / "spool"
    ticks: list[dict] = []
    async with Simulator(SimulatorConfig(rate=10_000, seed=41, quote_share=0.0)) as simulator:
        down = pipeline(local_stack, simulator, spool_dir, topics, f"127.0.0.1:{unused_port()}")
        ingestor = Ingestor(down, PluginHost(autoload=False).hook,
                            IngestOptions(metrics_interval_s=0.5, ensure_topics=False, on_metrics=ticks.append))
        with capture_logs() as logs:
            run = asyncio.create_task(ingestor.run())
            await asyncio.sleep(6.0)
            frames_while_down = simulator.stats.frames_sent
            stop_requested = time.monotonic()
            ingestor.request_stop("signal SIGTERM")
            report = await asyncio.wait_for(run, 30)
            stopped_in = time.monotonic() - stop_requested

    assert stopped_in < 10.0  # SIGTERM exits within 10 s although nothing was acknowledged
    assert report.trades_acked == 0 and report.failed == 0
    assert report.trades_received > 30_000  # the websocket kept being read, past librdkafka's 5,000
    assert report.spool_records == report.trades_received == report.pending
    assert frames_while_down > 30_000
    assert [t["spool_records"] for t in ticks][-1] > 20_000 and len(ticks) >= 8  # metrics flowed all along
    events = [entry["event"] for entry in logs]
    assert events.count("kafka_unavailable") == 1  # one line for the outage, none per record
    assert "delivery_failed" not in events and "spool_kept" in events
    spooled_ids = spooled_trade_ids(spool_dir, down)
    assert len(spooled_ids) == report.trades_received

    kafka = down.config.kafka.model_copy(update={"bootstrap_servers": local_stack.bootstrap_servers})
    ensure_topics(AdminClient(admin_config(kafka)), pipeline_topics(kafka))
    async with Simulator(SimulatorConfig(rate=1, seed=41)) as idle:
        up = pipeline(local_stack, idle, spool_dir, topics, local_stack.bootstrap_servers)
        restart = await Ingestor(up, PluginHost(autoload=False).hook, IngestOptions(ensure_topics=False),
                                 source=NoFeed()).run()

    assert restart.resent_on_start == len(spooled_ids) and restart.trades_acked == len(spooled_ids)
    assert restart.clean and restart.spool_records == 0 and not list(spool_dir.glob("*.spool"))
    codec = TradeAvroCodec.for_kafka(kafka)
    landed = [codec.decode(m.value()).trade_id for m in read_topic(kafka.bootstrap_servers, kafka.trades_topic,
                                                                   len(spooled_ids)).messages]
    assert len(landed) == len(spooled_ids) and set(landed) == set(spooled_ids)  # by count and by set


def spooled_trade_ids(spool_dir, pipeline) -> list[str]:
    kafka = pipeline.config.kafka
    codec = TradeAvroCodec.for_kafka(kafka)
    return [codec.decode(message[2]).trade_id for path in sorted(spool_dir.glob("*.spool"))
            for message in read_records(path.read_bytes()).messages]
